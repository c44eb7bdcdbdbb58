using static Platform.Fleet.Tests.OpenStackCli;

namespace Platform.Fleet.Tests;

/// <summary>The network server through the real `openstack` client: an external network, a routed tenant network, a floating IP, security groups and the agents.</summary>
[Collection(FleetCollection.Name)]
public sealed class NetworkCliTests(FleetFixture fleet)
{
    private Dictionary<string, string> Admin => fleet.OpenRc();
    private Dictionary<string, string> Demo => fleet.OpenRc("demo", "demo", fleet.DemoPassword);

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    [Fact]
    public async Task An_operator_and_a_project_build_a_routed_network_with_a_floating_ip()
    {
        var publicName = Unique("public");
        var physnet = Unique("physnet");
        var pub = await JsonAsync(Admin, "network", "create", "--external", "--provider-network-type", "flat", "--provider-physical-network", physnet, publicName);
        Assert.True(pub.GetProperty("router:external").GetBoolean());
        Assert.Equal("flat", pub.GetProperty("provider:network_type").GetString());
        var pubSubnet = await JsonAsync(Admin, "subnet", "create", "--network", publicName, "--subnet-range", "203.0.113.0/24", "--no-dhcp", Unique("public-subnet"));
        Assert.False(pubSubnet.GetProperty("enable_dhcp").GetBoolean());

        var net = await JsonAsync(Demo, "network", "create", Unique("net1"));
        var netName = net.GetProperty("name").GetString()!;
        Assert.Equal(1450, net.GetProperty("mtu").GetInt32());
        var sub = await JsonAsync(Demo, "subnet", "create", "--network", netName, "--subnet-range", "10.0.0.0/24", Unique("sub1"));
        Assert.Equal("10.0.0.1", sub.GetProperty("gateway_ip").GetString());
        var port = await JsonAsync(Demo, "port", "create", "--network", netName, Unique("p1"));
        var fixedIps = port.GetProperty("fixed_ips").ToString();
        Assert.Contains("10.0.0.", fixedIps);
        Assert.Contains(sub.GetProperty("id").GetString()!, fixedIps);
        Assert.Matches("^fa:16:3e(:[0-9a-f]{2}){3}$", port.GetProperty("mac_address").GetString());

        var routerName = Unique("r1");
        await JsonAsync(Demo, "router", "create", routerName);
        (await RunAsync(Demo, "router", "set", "--external-gateway", publicName, routerName)).Ok();
        (await RunAsync(Demo, "router", "add", "subnet", routerName, sub.GetProperty("id").GetString()!)).Ok();
        var router = await JsonAsync(Demo, "router", "show", routerName);
        Assert.Contains(pub.GetProperty("id").GetString()!, router.GetProperty("external_gateway_info").ToString());
        Assert.Contains("10.0.0.1", router.GetProperty("interfaces_info").ToString());

        var fip = await JsonAsync(Demo, "floating", "ip", "create", publicName);
        var address = fip.GetProperty("floating_ip_address").GetString()!;
        Assert.StartsWith("203.0.113.", address);
        (await RunAsync(Demo, "floating", "ip", "set", "--port", port.GetProperty("id").GetString()!, address)).Ok();
        var associated = await JsonAsync(Demo, "floating", "ip", "show", address);
        Assert.Equal(port.GetProperty("id").GetString(), associated.GetProperty("port_id").GetString());
        Assert.Equal(router.GetProperty("id").GetString(), associated.GetProperty("router_id").GetString());

        var sgName = Unique("sg1");
        var sg = await JsonAsync(Demo, "security", "group", "create", sgName);
        var rule = await JsonAsync(Demo, "security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "22", sgName);
        Assert.Equal("tcp", rule.GetProperty("protocol").GetString());
        Assert.Equal(22, rule.GetProperty("port_range_min").GetInt32());
        Assert.Equal(22, rule.GetProperty("port_range_max").GetInt32());
        (await RunAsync(Demo, "port", "set", "--security-group", sgName, port.GetProperty("id").GetString()!)).Ok();
        var shownPort = await JsonAsync(Demo, "port", "show", port.GetProperty("id").GetString()!);
        Assert.Contains(sg.GetProperty("id").GetString()!, shownPort.GetProperty("security_group_ids").ToString());

        // The fleet's three network agents report state; the operator sees them alive.
        var agents = await JsonAsync(Admin, "network", "agent", "list");
        foreach (var type in new[] { "Open vSwitch agent", "DHCP agent", "L3 agent" })
            Assert.Contains(agents.EnumerateArray(), a => a.GetProperty("Agent Type").GetString() == type && a.GetProperty("Alive").ToString() is ":-)" or "True");
        // Demo is not an admin: agents are not for it to see.
        Assert.NotEqual(0, (await RunAsync(Demo, "network", "agent", "list")).ExitCode);
    }
}
