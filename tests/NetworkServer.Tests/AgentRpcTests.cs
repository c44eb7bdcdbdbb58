using System.Collections.Concurrent;
using System.Net;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NetworkServer.Contracts;
using Platform.Messaging;
using Platform.TestSupport;

namespace NetworkServer.Tests;

/// <summary>What a test OVS agent on the bus hears from the network server.</summary>
public sealed class HeardByAgent
{
    public ConcurrentQueue<PortUpdate> PortUpdates { get; } = new();
    public ConcurrentQueue<PortDelete> PortDeletes { get; } = new();
    public ConcurrentQueue<SecurityGroupRuleUpdate> RuleUpdates { get; } = new();
}

public sealed class TestOvsAgentConsumer(HeardByAgent heard) : IConsumer<PortUpdate>, IConsumer<PortDelete>, IConsumer<SecurityGroupRuleUpdate>
{
    public Task Consume(ConsumeContext<PortUpdate> context) { heard.PortUpdates.Enqueue(context.Message); return Task.CompletedTask; }
    public Task Consume(ConsumeContext<PortDelete> context) { heard.PortDeletes.Enqueue(context.Message); return Task.CompletedTask; }
    public Task Consume(ConsumeContext<SecurityGroupRuleUpdate> context) { heard.RuleUpdates.Enqueue(context.Message); return Task.CompletedTask; }
}

/// <summary>
/// A test consumer standing in for an OVS agent, on the real RabbitMQ: it reports state, hears
/// the port_update fanout, reads device details and reports the device up; the port goes ACTIVE.
/// </summary>
public sealed class AgentRpcTests(MySqlFixture mysql, RabbitMqFixture rabbit)
    : NetworkApiTestBase(mysql, rabbit, "netrpc"), IClassFixture<MySqlFixture>, IClassFixture<RabbitMqFixture>
{
    private const string AgentHost = "compute-test-1";

    private async Task<IHost> StartAgentAsync()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [Platform.Messaging.TransportUrl.ConfigKey] = TransportUrl,
            [MessagingExtensions.HostKey] = AgentHost,
            ["messaging:wait_until_started"] = "true",
        });
        builder.Services.AddSingleton<HeardByAgent>();
        builder.Services.AddSingleton<PluginClient>();
        builder.AddMessaging(e => e.Fanout(Topics.OvsAgent, r => r.Consumer<TestOvsAgentConsumer>()));
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    [Fact]
    public async Task An_agent_reports_hears_port_updates_and_brings_a_port_up()
    {
        using var agent = await StartAgentAsync();
        var plugin = agent.Services.GetRequiredService<PluginClient>();
        var heard = agent.Services.GetRequiredService<HeardByAgent>();
        var report = await plugin.CallReportStateAsync(new ReportState(AgentTypes.OpenVswitch, "ovs-agent", "N/A", AgentHost, "nova",
            new Dictionary<string, object?> { ["bridge_mappings"] = new Dictionary<string, string> { ["physnet1"] = "br-ex" }, ["tunnel_types"] = new[] { "vxlan" }, ["datapath_type"] = "netdev" },
            StartFlag: true));
        var agents = (await GetAsync("/v2.0/agents", Admin)).Body.GetProperty("agents");
        var listed = Assert.Single(agents.EnumerateArray(), a => a.GetProperty("host").GetString() == AgentHost);
        Assert.Equal(report.AgentId, Id(listed));
        Assert.True(listed.GetProperty("alive").GetBoolean());
        Assert.Equal("Open vSwitch agent", listed.GetProperty("agent_type").GetString());
        AssertError(HttpStatusCode.Forbidden, "PolicyNotAuthorized", await GetAsync("/v2.0/agents", A));

        var net = await CreateAsync("networks", "network", A, new { name = "rpc-net" });
        await CreateAsync("subnets", "subnet", A, new { network_id = Id(net), ip_version = 4, cidr = "10.30.0.0/24" });
        var server = Guid.NewGuid().ToString();
        var port = await CreateAsync("ports", "port", A, new { network_id = Id(net), device_owner = "compute:nova", device_id = server });

        // Bound on the agent's host: the openvswitch driver binds it and the agents hear of it.
        var bound = (await PutAsync($"/v2.0/ports/{Id(port)}", Admin, new Dictionary<string, object> { ["port"] = new Dictionary<string, object> { ["binding:host_id"] = AgentHost } })).Body.GetProperty("port");
        Assert.Equal("ovs", bound.GetProperty("binding:vif_type").GetString());
        Assert.Equal("netdev", bound.GetProperty("binding:vif_details").GetProperty("datapath_type").GetString());
        Assert.True(await Eventually.TrueAsync(() => Task.FromResult(heard.PortUpdates.Any(u => u.PortId == Id(port) && u.HostId == AgentHost)), TimeSpan.FromSeconds(20)),
            "the test agent never heard port_update");

        // A host no agent reported cannot be bound.
        var other = await CreateAsync("ports", "port", A, new { network_id = Id(net) });
        var failed = (await PutAsync($"/v2.0/ports/{Id(other)}", Admin, new Dictionary<string, object> { ["port"] = new Dictionary<string, object> { ["binding:host_id"] = "nowhere" } })).Body.GetProperty("port");
        Assert.Equal("binding_failed", failed.GetProperty("binding:vif_type").GetString());

        var details = await plugin.CallGetDevicesDetailsListAsync(new GetDevicesDetails(AgentHost, report.AgentId, [Id(port), "not-a-port"]));
        var device = details.Devices[0];
        Assert.True(device.Found);
        Assert.Equal("vxlan", device.NetworkType);
        Assert.Equal(1450, device.Mtu);
        Assert.Equal(port.GetProperty("mac_address").GetString(), device.MacAddress);
        Assert.StartsWith("10.30.0.", Assert.Single(device.FixedIps!).IpAddress);
        Assert.False(details.Devices[1].Found);

        var up = await plugin.CallUpdateDeviceListAsync(new UpdateDeviceList(AgentHost, report.AgentId, [Id(port)], []));
        Assert.Equal([Id(port)], up.DevicesUp);
        Assert.Equal("ACTIVE", (await GetAsync($"/v2.0/ports/{Id(port)}", A)).Body.GetProperty("port").GetProperty("status").GetString());
        // The port bound elsewhere is not this agent's to bring up.
        var wrongHost = await plugin.CallUpdateDeviceListAsync(new UpdateDeviceList(AgentHost, report.AgentId, [Id(other)], []));
        Assert.Equal([Id(other)], wrongHost.FailedDevicesUp);

        var down = await plugin.CallUpdateDeviceListAsync(new UpdateDeviceList(AgentHost, report.AgentId, [], [Id(port)]));
        Assert.Equal([Id(port)], down.DevicesDown);
        Assert.Equal("DOWN", (await GetAsync($"/v2.0/ports/{Id(port)}", A)).Body.GetProperty("port").GetProperty("status").GetString());

        await SendAsync(HttpMethod.Delete, $"/v2.0/ports/{Id(port)}", A);
        Assert.True(await Eventually.TrueAsync(() => Task.FromResult(heard.PortDeletes.Any(d => d.PortId == Id(port))), TimeSpan.FromSeconds(20)),
            "the test agent never heard port_delete");
        await agent.StopAsync();
    }

    [Fact]
    public async Task A_floating_ip_moved_between_routers_updates_both_and_the_l3_agent_syncs_them()
    {
        using var agent = await StartAgentAsync();
        var plugin = agent.Services.GetRequiredService<PluginClient>();
        await plugin.CallReportStateAsync(new ReportState(AgentTypes.L3, "l3-agent", Topics.L3Agent, AgentHost, "nova",
            new Dictionary<string, object?> { ["agent_mode"] = "legacy" }, StartFlag: true));
        var (pub, _, net, subnet, router1) = await TopologyAsync("physnet-l3", "10.40.0.0/24");
        await PutAsync($"/v2.0/routers/{router1}/add_router_interface", A, new { subnet_id = subnet });
        var net2 = await CreateAsync("networks", "network", A, new { name = "net2" });
        var subnet2 = await CreateAsync("subnets", "subnet", A, new { network_id = Id(net2), ip_version = 4, cidr = "10.41.0.0/24" });
        var router2 = await CreateAsync("routers", "router", A, new { name = "r2", external_gateway_info = new { network_id = pub } });
        await PutAsync($"/v2.0/routers/{Id(router2)}/add_router_interface", A, new { subnet_id = Id(subnet2) });
        var port1 = await CreateAsync("ports", "port", A, new { network_id = net });
        var port2 = await CreateAsync("ports", "port", A, new { network_id = Id(net2) });
        var fip = await CreateAsync("floatingips", "floatingip", A, new { floating_network_id = pub, port_id = Id(port1) });
        Assert.Equal(router1, fip.GetProperty("router_id").GetString());

        // Both routers change in one request: the old one loses the address, the new one gains it.
        var moved = await PutAsync($"/v2.0/floatingips/{Id(fip)}", A, new { floatingip = new { port_id = Id(port2) } });
        Assert.Equal(HttpStatusCode.OK, moved.Status);
        Assert.Equal(Id(router2), moved.Body.GetProperty("floatingip").GetProperty("router_id").GetString());

        var synced = await plugin.CallSyncRoutersAsync(new SyncRouters(AgentHost, null));
        var r1 = Assert.Single(synced.Routers, r => r.Id == router1);
        var r2 = Assert.Single(synced.Routers, r => r.Id == Id(router2));
        Assert.Empty(r1.FloatingIps);
        Assert.Equal(fip.GetProperty("floating_ip_address").GetString(), Assert.Single(r2.FloatingIps).FloatingIpAddress);
        Assert.Equal("10.41.0.1", Assert.Single(Assert.Single(r2.Interfaces).FixedIps).IpAddress);
        Assert.NotNull(r2.GatewayPort);
        await agent.StopAsync();
    }
}
