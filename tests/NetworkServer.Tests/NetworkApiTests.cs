using System.Net;
using System.Text.Json;
using Dapper;
using MySqlConnector;
using Platform.TestSupport;

namespace NetworkServer.Tests;

/// <summary>The neutron v2.0 API: the resources, tenant isolation, and bad input refused with nothing written.</summary>
public sealed class NetworkApiTests(MySqlFixture mysql, RabbitMqFixture rabbit)
    : NetworkApiTestBase(mysql, rabbit, "netapi"), IClassFixture<MySqlFixture>, IClassFixture<RabbitMqFixture>
{
    [Fact]
    public async Task A_project_builds_a_routed_network_with_a_floating_ip_and_security_group()
    {
        var (pub, _, net, subnet, router) = await TopologyAsync("physnet1", "10.0.0.0/24");
        var shownNet = (await GetAsync($"/v2.0/networks/{net}", A)).Body.GetProperty("network");
        Assert.Equal(1450, shownNet.GetProperty("mtu").GetInt32());
        Assert.Equal([subnet], shownNet.GetProperty("subnets").EnumerateArray().Select(s => s.GetString()));

        var port = await CreateAsync("ports", "port", A, new { network_id = net, name = "p1" });
        var ip = port.GetProperty("fixed_ips")[0];
        Assert.Equal(subnet, ip.GetProperty("subnet_id").GetString());
        Assert.StartsWith("10.0.0.", ip.GetProperty("ip_address").GetString());
        Assert.NotEqual("10.0.0.1", ip.GetProperty("ip_address").GetString());
        Assert.Matches("^fa:16:3e(:[0-9a-f]{2}){3}$", port.GetProperty("mac_address").GetString());
        Assert.Equal("DOWN", port.GetProperty("status").GetString());
        var defaultGroup = Assert.Single(port.GetProperty("security_groups").EnumerateArray()).GetString();

        var gw = (await GetAsync($"/v2.0/routers/{router}", A)).Body.GetProperty("router").GetProperty("external_gateway_info");
        Assert.Equal(pub, gw.GetProperty("network_id").GetString());
        Assert.True(gw.GetProperty("enable_snat").GetBoolean());
        Assert.StartsWith("203.0.113.", gw.GetProperty("external_fixed_ips")[0].GetProperty("ip_address").GetString());
        var added = await PutAsync($"/v2.0/routers/{router}/add_router_interface", A, new { subnet_id = subnet });
        Assert.Equal(HttpStatusCode.OK, added.Status);
        var interfacePort = added.Body.GetProperty("port_id").GetString();
        var shownInterface = (await GetAsync($"/v2.0/ports/{interfacePort}", A)).Body.GetProperty("port");
        Assert.Equal("10.0.0.1", shownInterface.GetProperty("fixed_ips")[0].GetProperty("ip_address").GetString());
        Assert.Equal("network:router_interface", shownInterface.GetProperty("device_owner").GetString());

        var fip = await CreateAsync("floatingips", "floatingip", A, new { floating_network_id = pub });
        Assert.StartsWith("203.0.113.", fip.GetProperty("floating_ip_address").GetString());
        var associated = await PutAsync($"/v2.0/floatingips/{Id(fip)}", A, new { floatingip = new { port_id = Id(port) } });
        Assert.Equal(HttpStatusCode.OK, associated.Status);
        Assert.Equal(router, associated.Body.GetProperty("floatingip").GetProperty("router_id").GetString());
        Assert.Equal(ip.GetProperty("ip_address").GetString(), associated.Body.GetProperty("floatingip").GetProperty("fixed_ip_address").GetString());

        var groups = (await GetAsync("/v2.0/security-groups", A)).Body.GetProperty("security_groups");
        var dflt = Assert.Single(groups.EnumerateArray(), g => g.GetProperty("name").GetString() == "default");
        Assert.Equal(defaultGroup, Id(dflt));
        Assert.Equal(4, dflt.GetProperty("security_group_rules").GetArrayLength());
        var sg = await CreateAsync("security-groups", "security_group", A, new { name = "sg1" });
        Assert.Equal(2, sg.GetProperty("security_group_rules").GetArrayLength());
        var rule = await CreateAsync("security-group-rules", "security_group_rule", A,
            new { security_group_id = Id(sg), direction = "ingress", protocol = "tcp", port_range_min = 22, port_range_max = 22 });
        Assert.Equal("IPv4", rule.GetProperty("ethertype").GetString());
        var duplicate = await PostAsync("/v2.0/security-group-rules", A, new { security_group_rule = new { security_group_id = Id(sg), direction = "ingress", protocol = "tcp", port_range_min = 22, port_range_max = 22 } });
        AssertError(HttpStatusCode.Conflict, "SecurityGroupRuleExists", duplicate);
        var set = await PutAsync($"/v2.0/ports/{Id(port)}", A, new { port = new { security_groups = new[] { Id(sg) } } });
        Assert.Equal([Id(sg)], set.Body.GetProperty("port").GetProperty("security_groups").EnumerateArray().Select(g => g.GetString()));

        // Routers in use and ports a router owns are not deleted under it.
        AssertError(HttpStatusCode.Conflict, "RouterInUse", await SendAsync(HttpMethod.Delete, $"/v2.0/routers/{router}", A));
        AssertError(HttpStatusCode.Conflict, "ServicePortInUse", await SendAsync(HttpMethod.Delete, $"/v2.0/ports/{interfacePort}", A));
        AssertError(HttpStatusCode.Conflict, "NetworkInUse", await SendAsync(HttpMethod.Delete, $"/v2.0/networks/{net}", A));
        AssertError(HttpStatusCode.Conflict, "RouterInterfaceInUseByFloatingIP", await PutAsync($"/v2.0/routers/{router}/remove_router_interface", A, new { subnet_id = subnet }));

        // And everything comes apart again in order.
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"/v2.0/floatingips/{Id(fip)}", A)).Status);
        Assert.Equal(HttpStatusCode.OK, (await PutAsync($"/v2.0/routers/{router}/remove_router_interface", A, new { subnet_id = subnet })).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"/v2.0/routers/{router}", A)).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"/v2.0/ports/{Id(port)}", A)).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"/v2.0/networks/{net}", A)).Status);
        AssertError(HttpStatusCode.NotFound, "NetworkNotFound", await GetAsync($"/v2.0/networks/{net}", A));
    }

    [Fact]
    public async Task Projects_see_only_their_own_shared_and_external_networks_and_only_admins_see_provider_attributes()
    {
        var net = await CreateAsync("networks", "network", A, new { name = "private-a" });
        AssertError(HttpStatusCode.NotFound, "NetworkNotFound", await GetAsync($"/v2.0/networks/{Id(net)}", B));
        AssertError(HttpStatusCode.NotFound, "NetworkNotFound", await PutAsync($"/v2.0/networks/{Id(net)}", B, new { network = new { name = "x" } }));
        AssertError(HttpStatusCode.NotFound, "NetworkNotFound", await SendAsync(HttpMethod.Delete, $"/v2.0/networks/{Id(net)}", B));
        Assert.DoesNotContain((await GetAsync("/v2.0/networks", B)).Body.GetProperty("networks").EnumerateArray(), n => Id(n) == Id(net));
        AssertError(HttpStatusCode.NotFound, "NetworkNotFound", await PostAsync("/v2.0/ports", B, new { port = new { network_id = Id(net) } }));

        Assert.False(net.TryGetProperty("provider:network_type", out _));
        var asAdmin = (await GetAsync($"/v2.0/networks/{Id(net)}", Admin)).Body.GetProperty("network");
        Assert.Equal("vxlan", asAdmin.GetProperty("provider:network_type").GetString());
        Assert.InRange(asAdmin.GetProperty("provider:segmentation_id").GetInt32(), 1, 5000);

        // Only an admin shares; then B sees it and may put a port on it.
        AssertError(HttpStatusCode.Forbidden, "PolicyNotAuthorized", await PutAsync($"/v2.0/networks/{Id(net)}", A, new { network = new { shared = true } }));
        Assert.Equal(HttpStatusCode.OK, (await PutAsync($"/v2.0/networks/{Id(net)}", Admin, new { network = new { shared = true } })).Status);
        await CreateAsync("subnets", "subnet", A, new { network_id = Id(net), ip_version = 4, cidr = "10.9.0.0/24" });
        Assert.Contains((await GetAsync("/v2.0/networks", B)).Body.GetProperty("networks").EnumerateArray(), n => Id(n) == Id(net));
        var portB = await CreateAsync("ports", "port", B, new { network_id = Id(net) });
        Assert.Equal("project-b", portB.GetProperty("project_id").GetString());
        AssertError(HttpStatusCode.NotFound, "PortNotFound", await GetAsync($"/v2.0/ports/{Id(portB)}", Tokens.Issue("project-c", "member", "reader")));

        // A non-admin asking for provider attributes is refused.
        AssertError(HttpStatusCode.Forbidden, "PolicyNotAuthorized", await PostAsync("/v2.0/networks", A,
            new Dictionary<string, object> { ["network"] = new Dictionary<string, object> { ["provider:network_type"] = "vlan" } }));

        // fields= and filters.
        var listed = (await GetAsync($"/v2.0/networks?name=private-a&fields=id&fields=name", A)).Body.GetProperty("networks");
        var only = Assert.Single(listed.EnumerateArray());
        Assert.Equal(["id", "name"], only.EnumerateObject().Select(p => p.Name).Order());
    }

    private async Task<Dictionary<string, long>> CountsAsync()
    {
        await using var c = new MySqlConnection(Factory.Database);
        var counts = new Dictionary<string, long>();
        foreach (var table in new[] { "networks", "subnets", "ports", "ipallocations", "floatingips", "ml2_segment_allocations" })
            counts[table] = await c.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM {table}");
        return counts;
    }

    [Fact]
    public async Task Bad_input_gets_neutrons_error_and_writes_nothing()
    {
        var net = await CreateAsync("networks", "network", A, new { name = "bad-input" });
        var subnet = await CreateAsync("subnets", "subnet", A, new { network_id = Id(net), ip_version = 4, cidr = "10.1.0.0/24" });
        var port = await CreateAsync("ports", "port", A, new { network_id = Id(net) });
        var taken = port.GetProperty("fixed_ips")[0].GetProperty("ip_address").GetString();
        var pub = await CreateAsync("networks", "network", Admin, new Dictionary<string, object>
        {
            ["router:external"] = true, ["provider:network_type"] = "flat", ["provider:physical_network"] = "physnet-bad",
        });
        await CreateAsync("subnets", "subnet", Admin, new { network_id = Id(pub), ip_version = 4, cidr = "198.51.100.0/24", enable_dhcp = false });
        var fip = await CreateAsync("floatingips", "floatingip", A, new { floating_network_id = Id(pub) });
        var before = await CountsAsync();

        AssertError(HttpStatusCode.BadRequest, "InvalidInput", await PostAsync("/v2.0/subnets", A, new { subnet = new { network_id = Id(net), ip_version = 4, cidr = "10.1.0.128/25" } }));
        AssertError(HttpStatusCode.BadRequest, "InvalidInput", await PostAsync("/v2.0/subnets", A, new { subnet = new { network_id = Id(net), ip_version = 4, cidr = "10.2.0.0/24", gateway_ip = "10.3.0.1" } }));
        AssertError(HttpStatusCode.Conflict, "IpAddressAlreadyAllocated", await PostAsync("/v2.0/ports", A, new { port = new { network_id = Id(net), fixed_ips = new[] { new { ip_address = taken } } } }));
        AssertError(HttpStatusCode.BadRequest, "InvalidIpForNetwork", await PostAsync("/v2.0/ports", A, new { port = new { network_id = Id(net), fixed_ips = new[] { new { ip_address = "192.0.2.7" } } } }));
        AssertError(HttpStatusCode.BadRequest, "InvalidInput", await PostAsync("/v2.0/networks", Admin, new Dictionary<string, object>
        {
            ["network"] = new Dictionary<string, object> { ["provider:network_type"] = "vlan", ["provider:physical_network"] = "physnet1", ["provider:segmentation_id"] = 4095 },
        }));
        AssertError(HttpStatusCode.BadRequest, "InvalidInput", await PostAsync("/v2.0/networks", Admin, new Dictionary<string, object>
        {
            ["network"] = new Dictionary<string, object> { ["provider:network_type"] = "vlan", ["provider:physical_network"] = "physnet-unknown", ["provider:segmentation_id"] = 100 },
        }));
        // No router joins the port's subnet to the external network.
        AssertError(HttpStatusCode.NotFound, "ExternalGatewayForFloatingIPNotFound", await PutAsync($"/v2.0/floatingips/{Id(fip)}", A, new { floatingip = new { port_id = Id(port) } }));
        AssertError(HttpStatusCode.BadRequest, "HTTPBadRequest", await PostAsync("/v2.0/networks", A, new { network = new { name = "x", colour = "blue" } }));
        AssertError(HttpStatusCode.BadRequest, "HTTPBadRequest", await PostAsync("/v2.0/networks", A, new { network = new { admin_state_up = "maybe" } }));
        AssertError(HttpStatusCode.BadRequest, "HTTPBadRequest", await PostAsync("/v2.0/subnets", A, new { subnet = new { network_id = Id(net), ip_version = 4, cidr = "10.5.0.1/24" } }));

        // Members of nested objects of the wrong type are the caller's fault too, never a 500.
        AssertError(HttpStatusCode.BadRequest, "HTTPBadRequest", await PostAsync("/v2.0/ports", A, new { port = new { network_id = Id(net), fixed_ips = new[] { new { subnet_id = 5 } } } }));
        AssertError(HttpStatusCode.BadRequest, "HTTPBadRequest", await PostAsync("/v2.0/ports", A, new { port = new { network_id = Id(net), allowed_address_pairs = new[] { new { ip_address = 7 } } } }));
        AssertError(HttpStatusCode.BadRequest, "HTTPBadRequest", await PostAsync("/v2.0/subnets", A, new { subnet = new { network_id = Id(net), ip_version = 4, cidr = "10.6.0.0/24", allocation_pools = new[] { new { start = 1, end = 2 } } } }));
        AssertError(HttpStatusCode.BadRequest, "HTTPBadRequest", await PostAsync("/v2.0/subnets", A, new { subnet = new { network_id = Id(net), ip_version = 4, cidr = "10.7.0.0/24", host_routes = new[] { new { destination = 1, nexthop = true } } } }));

        Assert.Equal(before, await CountsAsync());
        Assert.Equal(JsonValueKind.Null, (await GetAsync($"/v2.0/floatingips/{Id(fip)}", A)).Body.GetProperty("floatingip").GetProperty("port_id").ValueKind);
        _ = subnet;
    }

    [Fact]
    public async Task Hundreds_of_networks_and_ports_made_at_once_never_share_a_segment_an_address_or_a_mac()
    {
        await PutAsync("/v2.0/quotas/project-a", Admin, new { quota = new { network = -1, subnet = -1, port = -1 } });
        var networks = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => CreateAsync("networks", "network", A, new { name = $"n{i}" })));
        var vnis = await Task.WhenAll(networks.Take(200).Select(async n => (await GetAsync($"/v2.0/networks/{Id(n)}", Admin)).Body.GetProperty("network").GetProperty("provider:segmentation_id").GetInt32()));
        Assert.Equal(vnis.Length, vnis.Distinct().Count());

        var net = Id(networks[0]);
        await CreateAsync("subnets", "subnet", A, new { network_id = net, ip_version = 4, cidr = "10.20.0.0/23" });
        var ports = await Task.WhenAll(Enumerable.Range(0, 400).Select(_ => CreateAsync("ports", "port", A, new { network_id = net })));
        var ips = ports.Select(p => p.GetProperty("fixed_ips")[0].GetProperty("ip_address").GetString()).ToList();
        var macs = ports.Select(p => p.GetProperty("mac_address").GetString()).ToList();
        Assert.Equal(400, ips.Distinct().Count());
        Assert.Equal(400, macs.Distinct().Count());
    }
}
