using System.Text.Json.Nodes;
using Dapper;
using NetworkServer.Common;
using NetworkServer.Db;
using Platform.Data;

namespace NetworkServer.Agents;

/// <summary>/v2.0/agents: every agent that has reported state, <c>alive</c> from its last heartbeat; and /v2.0/availability_zones.</summary>
public static class AgentsApi
{
    public static void MapAgents(this IEndpointRouteBuilder v2)
    {
        v2.MapGet("/agents", ListAsync);
        v2.MapGet("/agents/{id}", ShowAsync);
        v2.MapPut("/agents/{id}", UpdateAsync);
        v2.MapDelete("/agents/{id}", DeleteAsync);
        v2.MapGet("/availability_zones", ZonesAsync);
    }

    private static readonly Dictionary<string, object?> AdminTarget = NeutronAuthz.Target(null);

    private static async Task<Agent> FindAsync(System.Data.Common.DbConnection c, string id) =>
        await RowLookup.ByIdAsync<Agent>(c, "agents", Agent.Columns, id)
            ?? throw NeutronErrors.NotFound("agent", id);

    private static async Task<IResult> ListAsync(HttpRequest request, IDbConnectionFactory db, NeutronAuthz authz, AgentLiveness liveness)
    {
        authz.Enforce("get_agent", AdminTarget);
        await using var c = await db.OpenAsync();
        var agents = await c.QueryAsync<Agent>($"SELECT {Agent.Columns} FROM agents ORDER BY host, agent_type");
        return Results.Json(NeutronList.Shape(request, "agents", agents.Select(a => View(a, liveness))));
    }

    private static async Task<IResult> ShowAsync(string id, HttpRequest request, IDbConnectionFactory db, NeutronAuthz authz, AgentLiveness liveness)
    {
        authz.Enforce("get_agent", AdminTarget);
        await using var c = await db.OpenAsync();
        return Results.Json(new { agent = NeutronList.Single(request, View(await FindAsync(c, id), liveness)) });
    }

    private static async Task<IResult> UpdateAsync(string id, HttpRequest request, IDbConnectionFactory db, NeutronAuthz authz, AgentLiveness liveness)
    {
        authz.Enforce("update_agent", AdminTarget);
        var body = await NeutronBody.ReadAsync(request, "agent", ["admin_state_up", "description"]);
        await using var c = await db.OpenAsync();
        var agent = await FindAsync(c, id);
        agent = agent with { AdminStateUp = body.Bool("admin_state_up") ?? agent.AdminStateUp, Description = body.String("description") ?? agent.Description };
        await c.ExecuteAsync("UPDATE agents SET admin_state_up = @AdminStateUp, description = @Description WHERE id = @Id", agent);
        return Results.Json(new { agent = View(agent, liveness) });
    }

    private static async Task<IResult> DeleteAsync(string id, IDbConnectionFactory db, NeutronAuthz authz)
    {
        authz.Enforce("delete_agent", AdminTarget);
        await using var c = await db.OpenAsync();
        var agent = await FindAsync(c, id);
        await c.ExecuteAsync("""
            DELETE FROM networkdhcpagentbindings WHERE dhcp_agent_id = @id;
            DELETE FROM routerl3agentbindings WHERE l3_agent_id = @id;
            DELETE FROM agents WHERE id = @id;
            """, new { id = agent.Id });
        return Results.NoContent();
    }

    private static async Task<IResult> ZonesAsync(HttpRequest request, IDbConnectionFactory db, NeutronAuthz authz, AgentLiveness liveness)
    {
        await using var c = await db.OpenAsync();
        var zones = (await c.QueryAsync<(string? Zone, string Type, DateTime Heartbeat)>("SELECT availability_zone, agent_type, heartbeat_timestamp FROM agents"))
            .Where(z => z.Type is Contracts.AgentTypes.Dhcp or Contracts.AgentTypes.L3)
            .GroupBy(z => (Zone: z.Zone ?? "nova", Resource: z.Type == Contracts.AgentTypes.Dhcp ? "network" : "router"))
            .Select(g => new Dictionary<string, object?>
            {
                ["name"] = g.Key.Zone,
                ["resource"] = g.Key.Resource,
                ["state"] = g.Any(z => liveness.IsAlive(z.Heartbeat)) ? "available" : "unavailable",
            });
        return Results.Json(NeutronList.Shape(request, "availability_zones", zones));
    }

    public static Dictionary<string, object?> View(Agent a, AgentLiveness liveness) => new()
    {
        ["id"] = a.Id,
        ["agent_type"] = a.AgentType,
        ["binary"] = a.Binary,
        ["topic"] = a.Topic,
        ["host"] = a.Host,
        ["availability_zone"] = a.AvailabilityZone,
        ["admin_state_up"] = a.AdminStateUp,
        ["alive"] = liveness.IsAlive(a.HeartbeatTimestamp),
        ["configurations"] = JsonNode.Parse(a.Configurations),
        ["description"] = a.Description,
        ["created_at"] = a.CreatedAt.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture),
        ["started_at"] = a.StartedAt.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture),
        ["heartbeat_timestamp"] = a.HeartbeatTimestamp.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture),
        ["resources_synced"] = null,
        ["resource_versions"] = new Dictionary<string, object>(),
    };
}
