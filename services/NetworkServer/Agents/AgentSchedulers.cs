using System.Data.Common;
using Dapper;
using NetworkServer.Contracts;

namespace NetworkServer.Agents;

/// <summary>
/// Which DHCP agents serve a network: those bound to it, else (when <c>schedule</c>) the
/// <c>dhcp_agents_per_network</c> alive, enabled DHCP agents serving the fewest networks.
/// </summary>
public sealed class DhcpAgentScheduler(AgentLiveness liveness, IConfiguration configuration)
{
    private readonly int perNetwork = int.TryParse(configuration["dhcp_agents_per_network"], out var n) && n > 0 ? n : 1;

    public async Task<IReadOnlyList<string>> HostsForAsync(DbTransaction tx, string networkId, bool schedule)
    {
        var c = tx.Connection!;
        var hosts = (await c.QueryAsync<string>("""
            SELECT a.host FROM networkdhcpagentbindings b JOIN agents a ON a.id = b.dhcp_agent_id WHERE b.network_id = @networkId
            """, new { networkId }, tx)).ToList();
        if (hosts.Count > 0 || !schedule) return hosts;
        // Only networks with a subnet that wants DHCP get an agent.
        if (await c.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM subnets WHERE network_id = @networkId AND enable_dhcp", new { networkId }, tx) == 0)
            return hosts;
        var candidates = await c.QueryAsync<(string Id, string Host)>("""
            SELECT a.id, a.host FROM agents a
            LEFT JOIN networkdhcpagentbindings b ON b.dhcp_agent_id = a.id
            WHERE a.agent_type = @type AND a.admin_state_up AND a.heartbeat_timestamp >= @since
            GROUP BY a.id, a.host ORDER BY COUNT(b.network_id), a.host LIMIT @perNetwork
            """, new { type = AgentTypes.Dhcp, since = liveness.AliveSince(), perNetwork }, tx);
        foreach (var (id, host) in candidates)
        {
            await c.ExecuteAsync("INSERT IGNORE INTO networkdhcpagentbindings (network_id, dhcp_agent_id) VALUES (@networkId, @id)", new { networkId, id }, tx);
            hosts.Add(host);
        }
        return hosts;
    }
}

/// <summary>Which L3 agent hosts a router: the bound one, else the alive, enabled L3 agent hosting the fewest routers.</summary>
public sealed class L3AgentScheduler(AgentLiveness liveness)
{
    public async Task<string?> HostForAsync(DbTransaction tx, string routerId, bool schedule = true)
    {
        var c = tx.Connection!;
        var host = await c.ExecuteScalarAsync<string?>("""
            SELECT a.host FROM routerl3agentbindings b JOIN agents a ON a.id = b.l3_agent_id WHERE b.router_id = @routerId
            """, new { routerId }, tx);
        if (host is not null || !schedule) return host;
        var pick = await c.QueryFirstOrDefaultAsync<(string Id, string Host)?>("""
            SELECT a.id, a.host FROM agents a
            LEFT JOIN routerl3agentbindings b ON b.l3_agent_id = a.id
            WHERE a.agent_type = @type AND a.admin_state_up AND a.heartbeat_timestamp >= @since
            GROUP BY a.id, a.host ORDER BY COUNT(b.router_id), a.host LIMIT 1
            """, new { type = AgentTypes.L3, since = liveness.AliveSince() }, tx);
        if (pick is not { } chosen) return null;
        await c.ExecuteAsync("INSERT IGNORE INTO routerl3agentbindings (router_id, l3_agent_id) VALUES (@routerId, @id)", new { routerId, id = chosen.Id }, tx);
        return chosen.Host;
    }
}

/// <summary>An agent is alive while its last heartbeat is younger than <c>agent_down_time</c> (75 s, as neutron).</summary>
public sealed class AgentLiveness(TimeProvider time, IConfiguration configuration)
{
    public TimeSpan DownTime { get; } = TimeSpan.FromSeconds(int.TryParse(configuration["agent_down_time"], out var s) && s > 0 ? s : 75);

    public DateTime AliveSince() => time.GetUtcNow().UtcDateTime - DownTime;

    public bool IsAlive(DateTime heartbeat) => heartbeat >= AliveSince();
}
