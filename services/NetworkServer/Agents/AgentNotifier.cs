using System.Data.Common;
using Dapper;
using NetworkServer.Contracts;
using NetworkServer.Db;
using Platform.Messaging.Outbox;

namespace NetworkServer.Agents;

/// <summary>
/// What agents are told when something changes (neutron's agent notifier APIs). Every message is
/// written to the outbox in the change's own transaction, so it leaves if and only if the change
/// commits, also across a crash: fanouts to all OVS agents, casts to the DHCP agents hosting a
/// network and to the L3 agent hosting a router.
/// </summary>
public sealed class AgentNotifier(IOutbox outbox, DhcpAgentScheduler dhcp, L3AgentScheduler l3)
{
    public async Task NetworkUpdatedAsync(DbTransaction tx, string networkId)
    {
        await outbox.FanoutAsync(tx, new NetworkUpdate(networkId));
        await DhcpCastAsync(tx, networkId, "network_update_end", networkId, schedule: false);
    }

    /// <summary>Before the network's DHCP bindings are removed: the agents that served it must hear.</summary>
    public async Task NetworkDeletedAsync(DbTransaction tx, string networkId)
    {
        await outbox.FanoutAsync(tx, new NetworkDelete(networkId));
        await DhcpCastAsync(tx, networkId, "network_delete_end", networkId, schedule: false);
    }

    public Task SubnetChangedAsync(DbTransaction tx, string @event, Subnet subnet) =>
        DhcpCastAsync(tx, subnet.NetworkId, @event, subnet.Id, schedule: subnet.EnableDhcp);

    public Task PortCreatedAsync(DbTransaction tx, Port port) =>
        DhcpCastAsync(tx, port.NetworkId, "port_create_end", port.Id, schedule: true);

    public async Task PortUpdatedAsync(DbTransaction tx, Port port, Network network)
    {
        await outbox.FanoutAsync(tx, new PortUpdate(port.Id, port.NetworkId, port.BindingHostId is { Length: > 0 } h ? h : null,
            network.NetworkType, network.PhysicalNetwork, network.SegmentationId, port.AdminStateUp));
        await DhcpCastAsync(tx, port.NetworkId, "port_update_end", port.Id, schedule: false);
    }

    public async Task PortDeletedAsync(DbTransaction tx, Port port)
    {
        await outbox.FanoutAsync(tx, new PortDelete(port.Id, port.NetworkId));
        await DhcpCastAsync(tx, port.NetworkId, "port_delete_end", port.Id, schedule: false);
    }

    public Task SecurityGroupRulesChangedAsync(DbTransaction tx, IReadOnlyList<string> securityGroupIds) =>
        outbox.FanoutAsync(tx, new SecurityGroupRuleUpdate(securityGroupIds));

    /// <summary>routers_updated to the L3 agent hosting each router, scheduling one that has none.</summary>
    public async Task RoutersUpdatedAsync(DbTransaction tx, IEnumerable<string> routerIds)
    {
        // One router after another: the lookups share the transaction's connection.
        var byHost = new Dictionary<string, List<string>>();
        foreach (var id in routerIds.Distinct())
            if (await l3.HostForAsync(tx, id) is { } host)
                (byHost.TryGetValue(host, out var list) ? list : byHost[host] = []).Add(id);
        foreach (var (host, ids) in byHost)
            await outbox.CastAsync(tx, Topics.L3AgentOn(host), new RoutersUpdated(ids));
    }

    public async Task RouterDeletedAsync(DbTransaction tx, string routerId)
    {
        if (await l3.HostForAsync(tx, routerId, schedule: false) is { } host)
            await outbox.CastAsync(tx, Topics.L3AgentOn(host), new RouterDeleted(routerId));
        await tx.Connection!.ExecuteAsync("DELETE FROM routerl3agentbindings WHERE router_id = @routerId", new { routerId }, tx);
    }

    private async Task DhcpCastAsync(DbTransaction tx, string networkId, string @event, string? resourceId, bool schedule)
    {
        foreach (var host in await dhcp.HostsForAsync(tx, networkId, schedule))
            await outbox.CastAsync(tx, Topics.DhcpAgentOn(host), new DhcpNetworkEvent(@event, networkId, resourceId));
    }

    /// <summary>Wakes the outbox dispatcher; call after commit.</summary>
    public void Flush() => outbox.Notify();
}
