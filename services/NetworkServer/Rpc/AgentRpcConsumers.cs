using System.Text.Json;
using Dapper;
using MassTransit;
using NetworkServer.Agents;
using NetworkServer.Contracts;
using NetworkServer.Db;
using NetworkServer.Notifiers;
using NetworkServer.Ports;
using Platform.Data;

namespace NetworkServer.Rpc;

/// <summary>report_state: records the agent (one per type and host) with its configuration and heartbeat.</summary>
public sealed class ReportStateConsumer(IDbConnectionFactory db, TimeProvider time) : IConsumer<ReportState>
{
    public async Task Consume(ConsumeContext<ReportState> context)
    {
        var r = context.Message;
        var now = time.GetUtcNow().UtcDateTime;
        await using var c = await db.OpenAsync(context.CancellationToken);
        await c.ExecuteAsync("""
            INSERT INTO agents (id, agent_type, `binary`, topic, host, availability_zone, admin_state_up, configurations, description, created_at, started_at, heartbeat_timestamp)
            VALUES (@id, @AgentType, @Binary, @Topic, @Host, @AvailabilityZone, TRUE, @configurations, '', @now, @now, @now)
            ON DUPLICATE KEY UPDATE `binary` = @Binary, topic = @Topic, availability_zone = @AvailabilityZone, configurations = @configurations,
              heartbeat_timestamp = @now, started_at = IF(@StartFlag, @now, started_at)
            """, new { id = Guid.NewGuid().ToString(), r.AgentType, r.Binary, r.Topic, r.Host, r.AvailabilityZone, configurations = JsonSerializer.Serialize(r.Configurations), now, r.StartFlag });
        var id = await c.ExecuteScalarAsync<string>("SELECT id FROM agents WHERE agent_type = @AgentType AND host = @Host", new { r.AgentType, r.Host });
        await context.RespondAsync(new ReportStateReply(id!, "alive"));
    }
}

/// <summary>get_devices_details_list: each port with its network segment, addresses and security groups.</summary>
public sealed class GetDevicesDetailsConsumer(IDbConnectionFactory db) : IConsumer<GetDevicesDetails>
{
    public async Task Consume(ConsumeContext<GetDevicesDetails> context)
    {
        var devices = context.Message.Devices.Where(d => Guid.TryParse(d, out _)).Distinct().ToList();
        await using var c = await db.OpenAsync(context.CancellationToken);
        var ports = devices.Count == 0 ? [] : (await c.QueryAsync<Port>($"SELECT {Port.Columns} FROM ports WHERE id IN @devices", new { devices })).ToDictionary(p => p.Id);
        var networkIds = ports.Values.Select(p => p.NetworkId).Distinct().ToList();
        var networks = networkIds.Count == 0 ? [] : (await c.QueryAsync<Network>($"SELECT {Network.Columns} FROM networks WHERE id IN @networkIds", new { networkIds })).ToDictionary(n => n.Id);
        var ips = await PortOperations.FixedIpsAsync(c, [.. ports.Keys]);
        var groups = await PortOperations.GroupsAsync(c, [.. ports.Keys]);
        var details = context.Message.Devices.Select(d =>
        {
            if (!ports.TryGetValue(d, out var p) || !networks.TryGetValue(p.NetworkId, out var n)) return new DeviceDetails(d, Found: false);
            return new DeviceDetails(d, true, p.Id, p.NetworkId, p.MacAddress, p.AdminStateUp && n.AdminStateUp, n.NetworkType, n.PhysicalNetwork, n.SegmentationId,
                n.Mtu, [.. ips[p.Id].Select(a => new FixedIp(a.SubnetId, a.IpAddress))], p.DeviceOwner, p.DeviceId, p.PortSecurityEnabled, [.. groups[p.Id]],
                Json.Read<List<AddressPair>>(p.AllowedAddressPairs));
        }).ToList();
        await context.RespondAsync(new DevicesDetailsReply(details));
    }
}

/// <summary>
/// update_device_list: ports an agent wired go ACTIVE, ports it unwired go DOWN; compute hears
/// network-vif-plugged (or -unplugged) for its servers' ports. A port bound to another host is
/// not the reporting agent's to change and is answered as failed.
/// </summary>
public sealed class UpdateDeviceListConsumer(IDbConnectionFactory db, ComputeNotifier compute, TimeProvider time) : IConsumer<UpdateDeviceList>
{
    public async Task Consume(ConsumeContext<UpdateDeviceList> context)
    {
        var m = context.Message;
        var (up, failedUp) = await SetAsync(m.Host, m.DevicesUp, "ACTIVE");
        var (down, failedDown) = await SetAsync(m.Host, m.DevicesDown, "DOWN");
        await context.RespondAsync(new UpdateDeviceListReply(up, down, failedUp, failedDown));
    }

    private async Task<(List<string> Done, List<string> Failed)> SetAsync(string host, IReadOnlyList<string> devices, string status)
    {
        var done = new List<string>();
        var failed = new List<string>();
        var ids = devices.Where(d => Guid.TryParse(d, out _)).Distinct().ToList();
        failed.AddRange(devices.Except(ids));
        if (ids.Count == 0) return (done, failed);
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        var ports = (await c.QueryAsync<Port>($"SELECT {Port.Columns} FROM ports WHERE id IN @ids FOR UPDATE", new { ids }, tx)).ToDictionary(p => p.Id);
        var changed = new List<Port>();
        foreach (var id in ids)
        {
            if (!ports.TryGetValue(id, out var port))
            {
                // A port deleted meanwhile is down anyway; up it cannot go.
                (status == "DOWN" ? done : failed).Add(id);
                continue;
            }
            if (port.BindingHostId.Length > 0 && port.BindingHostId != host)
            {
                failed.Add(id);
                continue;
            }
            done.Add(id);
            if (port.Status != status) changed.Add(port);
        }
        if (changed.Count > 0)
            await c.ExecuteAsync("UPDATE ports SET status = @status, updated_at = @now, revision_number = revision_number + 1 WHERE id IN @ids",
                new { status, now = time.GetUtcNow().UtcDateTime, ids = changed.Select(p => p.Id).ToList() }, tx);
        await tx.CommitAsync();
        foreach (var port in changed.Where(p => ComputeNotifier.IsServerPort(p.DeviceOwner, p.DeviceId)))
        {
            if (status == "ACTIVE") compute.Notify(new ServerEvent("network-vif-plugged", port.DeviceId, port.Id));
            else if (port.Status == "ACTIVE") compute.Notify(new ServerEvent("network-vif-unplugged", port.DeviceId, port.Id));
        }
        return (done, failed);
    }
}

/// <summary>sync_routers: the routers the L3 agent on a host hosts, with gateway, interfaces, floating IPs and routes.</summary>
public sealed class SyncRoutersConsumer(IDbConnectionFactory db) : IConsumer<SyncRouters>
{
    public async Task Consume(ConsumeContext<SyncRouters> context)
    {
        await using var c = await db.OpenAsync(context.CancellationToken);
        var routers = (await c.QueryAsync<Router>($"""
            SELECT {string.Join(", ", Router.Columns.Split(", ").Select(col => "r." + col))} FROM routers r
            JOIN routerl3agentbindings b ON b.router_id = r.id JOIN agents a ON a.id = b.l3_agent_id
            WHERE a.host = @Host AND a.agent_type = @type
            """, new { context.Message.Host, type = AgentTypes.L3 })).Where(r => context.Message.RouterIds is null || context.Message.RouterIds.Contains(r.Id)).ToList();
        var routerIds = routers.Select(r => r.Id).ToList();
        var ports = routerIds.Count == 0 ? [] : (await c.QueryAsync<Port>($"SELECT {Port.Columns} FROM ports WHERE device_id IN @routerIds AND device_owner IN ('network:router_interface', 'network:router_gateway')",
            new { routerIds })).ToList();
        var portInfo = await RpcViews.RouterPortsAsync(c, ports);
        var fips = routerIds.Count == 0 ? [] : (await c.QueryAsync<FloatingIp>($"SELECT {FloatingIp.Columns} FROM floatingips WHERE router_id IN @routerIds", new { routerIds })).ToList();
        var reply = routers.Select(r => new RouterInfo(r.Id, r.ProjectId, r.AdminStateUp, r.EnableSnat,
            r.GwPortId is { } gw && portInfo.TryGetValue(gw, out var g) ? g : null,
            [.. ports.Where(p => p.DeviceId == r.Id && p.DeviceOwner == "network:router_interface").Select(p => portInfo[p.Id])],
            [.. fips.Where(f => f.RouterId == r.Id).Select(f => new FloatingIpInfo(f.Id, f.FloatingIpAddress, f.FixedIpAddress!, f.FixedPortId!, f.Status))],
            Json.Read<List<RouteInfo>>(r.Routes))).ToList();
        await context.RespondAsync(new SyncRoutersReply(reply));
    }
}

/// <summary>get_active_networks_info: the networks the DHCP agent on a host serves, with their subnets and ports.</summary>
public sealed class GetActiveNetworksInfoConsumer(IDbConnectionFactory db) : IConsumer<GetActiveNetworksInfo>
{
    public async Task Consume(ConsumeContext<GetActiveNetworksInfo> context)
    {
        await using var c = await db.OpenAsync(context.CancellationToken);
        var networks = (await c.QueryAsync<Network>($"""
            SELECT {string.Join(", ", Network.Columns.Split(", ").Select(col => "n." + col))} FROM networks n
            JOIN networkdhcpagentbindings b ON b.network_id = n.id JOIN agents a ON a.id = b.dhcp_agent_id
            WHERE a.host = @Host AND a.agent_type = @type AND n.admin_state_up
            """, new { context.Message.Host, type = AgentTypes.Dhcp })).ToList();
        var ids = networks.Select(n => n.Id).ToList();
        var subnets = ids.Count == 0 ? [] : (await c.QueryAsync<Subnet>($"SELECT {Subnet.Columns} FROM subnets WHERE network_id IN @ids", new { ids })).ToList();
        var ports = ids.Count == 0 ? [] : (await c.QueryAsync<Port>($"SELECT {Port.Columns} FROM ports WHERE network_id IN @ids", new { ids })).ToList();
        var ips = await PortOperations.FixedIpsAsync(c, ports.Select(p => p.Id).ToList());
        var reply = networks.Select(n => new NetworkInfo(n.Id, n.ProjectId, n.AdminStateUp, n.Mtu, n.NetworkType, n.PhysicalNetwork, n.SegmentationId,
            [.. subnets.Where(s => s.NetworkId == n.Id).Select(RpcViews.Subnet)],
            [.. ports.Where(p => p.NetworkId == n.Id).Select(p => new PortInfo(p.Id, p.NetworkId, p.MacAddress, p.DeviceOwner, p.DeviceId, p.AdminStateUp,
                [.. ips[p.Id].Select(a => new FixedIp(a.SubnetId, a.IpAddress))]))])).ToList();
        await context.RespondAsync(new ActiveNetworksReply(reply));
    }
}

internal static class RpcViews
{
    public static SubnetInfo Subnet(Db.Subnet s) => new(s.Id, s.NetworkId, s.IpVersion, s.Cidr, s.GatewayIp, s.EnableDhcp,
        Json.Read<List<string>>(s.DnsNameservers), Json.Read<List<RouteInfo>>(s.HostRoutes), [.. s.Pools.Select(p => new AllocationPool(p.Start, p.End))]);

    public static async Task<Dictionary<string, RouterPort>> RouterPortsAsync(System.Data.Common.DbConnection c, IReadOnlyList<Port> ports)
    {
        var ips = await PortOperations.FixedIpsAsync(c, ports.Select(p => p.Id).ToList());
        var subnetIds = ports.SelectMany(p => ips[p.Id]).Select(a => a.SubnetId).Distinct().ToList();
        var subnets = subnetIds.Count == 0 ? [] : (await c.QueryAsync<Db.Subnet>($"SELECT {Db.Subnet.Columns} FROM subnets WHERE id IN @subnetIds", new { subnetIds })).ToDictionary(s => s.Id);
        var networkIds = ports.Select(p => p.NetworkId).Distinct().ToList();
        var mtus = networkIds.Count == 0 ? [] : (await c.QueryAsync<(string Id, int Mtu)>("SELECT id, mtu FROM networks WHERE id IN @networkIds", new { networkIds })).ToDictionary(n => n.Id, n => n.Mtu);
        return ports.ToDictionary(p => p.Id, p => new RouterPort(p.Id, p.NetworkId, p.MacAddress, mtus.GetValueOrDefault(p.NetworkId),
            [.. ips[p.Id].Where(a => subnets.ContainsKey(a.SubnetId)).Select(a => Subnet(subnets[a.SubnetId]))],
            [.. ips[p.Id].Select(a => new FixedIp(a.SubnetId, a.IpAddress))]));
    }
}
