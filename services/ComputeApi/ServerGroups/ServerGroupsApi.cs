using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Nodes;
using ComputeApi.Common;
using ComputeApi.Quotas;
using Dapper;
using Platform.Data;

namespace ComputeApi.ServerGroups;

/// <summary>
/// /os-server-groups: a project's affinity and anti-affinity groups. Before 2.64 a group has a
/// list of one policy and empty metadata; from 2.64 one policy and rules (max_server_per_host).
/// </summary>
public static class ServerGroupsApi
{
    private static readonly string[] V21Policies = ["anti-affinity", "affinity"];
    private static readonly string[] AllPolicies = ["anti-affinity", "affinity", "soft-anti-affinity", "soft-affinity"];
    private const string Rule = "os_compute_api:os-server-groups";

    private sealed record GroupRow(string Uuid, string Name, string ProjectId, string UserId, string Policy, string Rules, DateTime CreatedAt);

    private const string Columns = "uuid, name, project_id, user_id, policy, rules, created_at";

    public static void MapServerGroups(this RouteGroupBuilder v21)
    {
        v21.MapGet("/os-server-groups", ListAsync);
        v21.MapPost("/os-server-groups", CreateAsync);
        v21.MapGet("/os-server-groups/{id}", ShowAsync);
        v21.MapDelete("/os-server-groups/{id}", DeleteAsync);
    }

    private static async Task<IResult> ListAsync(HttpContext http, IDbConnectionFactory db, NovaAuthz authz)
    {
        var caller = NovaAuthz.Caller;
        authz.Enforce($"{Rule}:index", caller.ProjectId);
        var all = http.Request.Query.ContainsKey("all_projects") && authz.Allows($"{Rule}:index:all_projects", caller.ProjectId, caller.UserId);
        var offset = RequestJson.QueryInt(http.Request, "offset") ?? 0;
        var limit = Math.Min(RequestJson.QueryInt(http.Request, "limit") ?? 1000, 1000);
        await using var c = await db.OpenAsync();
        var groups = (await c.QueryAsync<GroupRow>($"""
            SELECT {Columns} FROM instance_groups WHERE @all OR project_id = @project
            ORDER BY created_at, uuid LIMIT @limit OFFSET @offset
            """, new { all, project = caller.ProjectId, limit, offset })).ToList();
        var members = await MembersAsync(c, null, groups.Select(g => g.Uuid).ToList());
        var version = http.Microversion();
        return Results.Json(new { server_groups = groups.Select(g => View(g, members[g.Uuid].ToList(), version)) });
    }

    private static async Task<IResult> ShowAsync(string id, HttpContext http, IDbConnectionFactory db, NovaAuthz authz)
    {
        await using var c = await db.OpenAsync();
        var group = await FindAsync(c, null, id);
        authz.Enforce($"{Rule}:show", group.ProjectId, group.UserId);
        var members = await MembersAsync(c, null, [group.Uuid]);
        return Results.Json(new { server_group = View(group, members[group.Uuid].ToList(), http.Microversion()) });
    }

    private static async Task<IResult> CreateAsync(HttpContext http, IDbConnectionFactory db, NovaAuthz authz, QuotaEngine quotas, TimeProvider time)
    {
        var caller = NovaAuthz.Caller;
        authz.Enforce($"{Rule}:create", caller.ProjectId, caller.UserId);
        var version = http.Microversion();
        var body = await RequestJson.ReadAsync(http.Request, "server_group");
        string policy;
        var rules = new JsonObject();
        RequestJson.OnlyAllowed(body, "server_group", version.AtLeast(64) ? ["name", "policy", "rules"] : ["name", "policies"]);
        var name = RequestJson.Name(body, "name", required: true)!;
        if (version.AtLeast(64))
        {
            policy = RequestJson.String(body, "policy") ?? throw NovaErrors.InvalidInput("server_group", RequestJson.Text(body), "'policy' is a required property");
            if (!AllPolicies.Contains(policy))
                throw NovaErrors.InvalidInput("policy", policy, $"'{policy}' is not one of {PythonList(AllPolicies)}");
            if (body.TryGetPropertyValue("rules", out var given))
            {
                if (given is not JsonObject asked) throw NovaErrors.InvalidInput("rules", RequestJson.Text(given), $"{RequestJson.Text(given)} is not of type 'object'");
                RequestJson.OnlyAllowed(asked, "rules", "max_server_per_host");
                if (asked.TryGetPropertyValue("max_server_per_host", out var max))
                {
                    if (!PositiveInteger(max, out var n))
                        throw NovaErrors.InvalidInput("rules/max_server_per_host", RequestJson.Text(max), $"{RequestJson.Text(max)} is not a positive integer");
                    if (policy != "anti-affinity")
                        throw NovaErrors.BadRequest("Only anti-affinity policy supports rules.");
                    rules["max_server_per_host"] = n;
                }
            }
        }
        else
        {
            if (!body.TryGetPropertyValue("policies", out var given))
                throw NovaErrors.InvalidInput("server_group", RequestJson.Text(body), "'policies' is a required property");
            var allowed = version.AtLeast(15) ? AllPolicies : V21Policies;
            if (given is not JsonArray list) throw NovaErrors.InvalidInput("policies", RequestJson.Text(given), $"{RequestJson.Text(given)} is not of type 'array'");
            if (list.Count == 0) throw NovaErrors.InvalidInput("policies", "[]", "[] is too short");
            foreach (var item in list)
                if (item is not JsonValue v || !v.TryGetValue<string>(out var s) || !allowed.Contains(s))
                    throw NovaErrors.InvalidInput("policies/0", RequestJson.Text(item), $"{RequestJson.Text(item)} is not one of {PythonList(allowed)}");
            if (list.Count > 1)
                throw NovaErrors.InvalidInput("policies", RequestJson.Text(list), "Additional items are not allowed");
            policy = list[0]!.GetValue<string>();
        }
        var group = new GroupRow(Guid.NewGuid().ToString(), name, caller.ProjectId ?? "", caller.UserId ?? "", policy, rules.ToJsonString(), time.GetUtcNow().UtcDateTime);

        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        try
        {
            await quotas.CheckAsync(tx, group.ProjectId, new Dictionary<string, int> { ["server_groups"] = 1 });
        }
        catch (Platform.Hosting.ApiException e) when (e.Status == System.Net.HttpStatusCode.Forbidden)
        {
            throw NovaErrors.QuotaExceeded("Quota exceeded, too many server groups.");
        }
        await c.ExecuteAsync("""
            INSERT INTO instance_groups (uuid, name, project_id, user_id, policy, rules, created_at, updated_at)
            VALUES (@Uuid, @Name, @ProjectId, @UserId, @Policy, @Rules, @CreatedAt, NULL)
            """, group, tx);
        await tx.CommitAsync();
        return Results.Json(new { server_group = View(group, [], version) });
    }

    private static async Task<IResult> DeleteAsync(string id, IDbConnectionFactory db, NovaAuthz authz)
    {
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        var group = await FindAsync(c, tx, id, forUpdate: true);
        authz.Enforce($"{Rule}:delete", group.ProjectId, group.UserId);
        await c.ExecuteAsync("""
            DELETE FROM instance_group_members WHERE group_uuid = @Uuid;
            DELETE FROM instance_groups WHERE uuid = @Uuid;
            """, group, tx);
        await tx.CommitAsync();
        return Results.NoContent();
    }

    private static async Task<GroupRow> FindAsync(DbConnection c, DbTransaction? tx, string id, bool forUpdate = false) =>
        await c.QuerySingleOrDefaultAsync<GroupRow>($"SELECT {Columns} FROM instance_groups WHERE uuid = @id{(forUpdate ? " FOR UPDATE" : "")}", new { id }, tx)
            ?? throw NovaErrors.NotFound($"Instance group {id} could not be found.");

    private static async Task<ILookup<string, string>> MembersAsync(DbConnection c, DbTransaction? tx, IReadOnlyList<string> groups) =>
        groups.Count == 0 ? Array.Empty<(string, string)>().ToLookup(x => x.Item1, x => x.Item2)
            : (await c.QueryAsync<(string Group, string Instance)>(
                // Members whose instance the read model shows deleted are gone, as in nova.
                """
                SELECT m.group_uuid, m.instance_uuid FROM instance_group_members m
                LEFT JOIN instances i ON i.uuid = m.instance_uuid COLLATE utf8mb4_bin
                WHERE m.group_uuid IN @groups AND (i.uuid IS NULL OR NOT i.deleted)
                ORDER BY m.created_at, m.instance_uuid
                """, new { groups }, tx))
                .ToLookup(m => m.Group, m => m.Instance);

    private static Dictionary<string, object?> View(GroupRow g, List<string> members, ApiVersion version)
    {
        var view = new Dictionary<string, object?> { ["id"] = g.Uuid, ["name"] = g.Name };
        if (version.AtLeast(64))
        {
            view["policy"] = g.Policy;
            view["rules"] = JsonSerializer.Deserialize<Dictionary<string, object?>>(string.IsNullOrEmpty(g.Rules) ? "{}" : g.Rules);
        }
        else
        {
            view["policies"] = new[] { g.Policy };
        }
        view["members"] = members;
        if (!version.AtLeast(64)) view["metadata"] = new Dictionary<string, string>();
        if (version.AtLeast(13))
        {
            view["project_id"] = g.ProjectId;
            view["user_id"] = g.UserId;
        }
        return view;
    }

    private static bool PositiveInteger(JsonNode? node, out int n)
    {
        n = 0;
        if (node is not JsonValue v) return false;
        if (v.TryGetValue<int>(out n)) return n >= 1;
        if (v.TryGetValue<string>(out var s) && int.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out n)) return n >= 1;
        return false;
    }

    private static string PythonList(IEnumerable<string> items) => "[" + string.Join(", ", items.Select(i => $"'{i}'")) + "]";
}
