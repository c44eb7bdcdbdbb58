using System.Data.Common;
using Dapper;
using NetworkServer.Common;
using Platform.Data;

namespace NetworkServer.Quotas;

/// <summary>
/// neutron's per-project quotas: the defaults of <c>[quotas] quota_&lt;resource&gt;</c> (neutron's
/// own numbers unless set; -1 is no limit), overridden per project through the API. A create
/// counts the project's resources in its own transaction and is refused with OverQuota when one
/// more would pass the limit; an unlimited resource is not counted at all.
/// </summary>
public sealed class QuotaEngine
{
    public static readonly IReadOnlyDictionary<string, (string Table, int Default)> Resources = new Dictionary<string, (string, int)>
    {
        ["network"] = ("networks", 100),
        ["subnet"] = ("subnets", 100),
        ["subnetpool"] = ("subnetpools", -1),
        ["port"] = ("ports", 500),
        ["router"] = ("routers", 10),
        ["floatingip"] = ("floatingips", 50),
        ["security_group"] = ("securitygroups", 10),
        ["security_group_rule"] = ("securitygrouprules", 100),
    };

    private readonly Dictionary<string, int> defaults;

    public QuotaEngine(IConfiguration configuration) =>
        defaults = Resources.ToDictionary(r => r.Key, r => int.TryParse(configuration[$"quotas:quota_{r.Key}"], out var v) ? v : r.Value.Default);

    public IReadOnlyDictionary<string, int> Defaults => defaults;

    public async Task<Dictionary<string, int>> LimitsAsync(DbConnection c, string projectId, DbTransaction? tx = null)
    {
        var limits = new Dictionary<string, int>(defaults);
        foreach (var (resource, limit) in await c.QueryAsync<(string, int)>("SELECT resource, `limit` FROM quotas WHERE project_id = @projectId", new { projectId }, tx))
            limits[resource] = limit;
        return limits;
    }

    public async Task<int> UsedAsync(DbConnection c, string resource, string projectId, DbTransaction? tx = null) =>
        await c.ExecuteScalarAsync<int>($"SELECT COUNT(*) FROM {Resources[resource].Table} WHERE project_id = @projectId", new { projectId }, tx);

    public async Task CheckAsync(DbTransaction tx, string resource, string projectId, int adding)
    {
        var c = tx.Connection!;
        var limit = await c.ExecuteScalarAsync<int?>("SELECT `limit` FROM quotas WHERE project_id = @projectId AND resource = @resource", new { projectId, resource }, tx)
            ?? defaults[resource];
        if (limit < 0) return;
        if (await UsedAsync(c, resource, projectId, tx) + adding > limit) throw NeutronErrors.OverQuota(resource);
    }
}

/// <summary>/v2.0/quotas: show (with defaults and details), update and reset a project's quotas.</summary>
public static class QuotasApi
{
    public static void MapQuotas(this IEndpointRouteBuilder v2)
    {
        v2.MapGet("/quotas", ListAsync);
        v2.MapGet("/quotas/{projectId}", (string projectId, IDbConnectionFactory db, NeutronAuthz authz, QuotaEngine quotas) => ShowAsync(projectId, db, authz, quotas, details: false));
        v2.MapGet("/quotas/{projectId}/details", (string projectId, IDbConnectionFactory db, NeutronAuthz authz, QuotaEngine quotas) => ShowAsync(projectId, db, authz, quotas, details: true));
        v2.MapGet("/quotas/{projectId}/default", (string projectId, NeutronAuthz authz, QuotaEngine quotas) =>
        {
            authz.Enforce("get_quota", NeutronAuthz.Target(projectId));
            return Results.Json(new { quota = quotas.Defaults });
        });
        v2.MapPut("/quotas/{projectId}", UpdateAsync);
        v2.MapDelete("/quotas/{projectId}", DeleteAsync);
    }

    private static async Task<IResult> ListAsync(IDbConnectionFactory db, NeutronAuthz authz, QuotaEngine quotas)
    {
        authz.Enforce("update_quota", NeutronAuthz.Target(NeutronAuthz.Caller.ProjectId));
        await using var c = await db.OpenAsync();
        var projects = await c.QueryAsync<string>("SELECT DISTINCT project_id FROM quotas ORDER BY project_id");
        var list = new List<Dictionary<string, object?>>();
        foreach (var p in projects)
        {
            var limits = (await quotas.LimitsAsync(c, p)).ToDictionary(l => l.Key, l => (object?)l.Value);
            limits["project_id"] = p;
            limits["tenant_id"] = p;
            list.Add(limits);
        }
        return Results.Json(new { quotas = list });
    }

    private static async Task<IResult> ShowAsync(string projectId, IDbConnectionFactory db, NeutronAuthz authz, QuotaEngine quotas, bool details)
    {
        authz.Enforce("get_quota", NeutronAuthz.Target(projectId));
        await using var c = await db.OpenAsync();
        var limits = await quotas.LimitsAsync(c, projectId);
        if (!details) return Results.Json(new { quota = limits });
        var shown = new Dictionary<string, object>();
        foreach (var (resource, limit) in limits)
            shown[resource] = new { limit, used = await quotas.UsedAsync(c, resource, projectId), reserved = 0 };
        return Results.Json(new { quota = shown });
    }

    private static async Task<IResult> UpdateAsync(string projectId, HttpRequest request, IDbConnectionFactory db, NeutronAuthz authz, QuotaEngine quotas)
    {
        authz.Enforce("update_quota", NeutronAuthz.Target(projectId));
        var body = await NeutronBody.ReadAsync(request, "quota", [.. QuotaEngine.Resources.Keys, "force", "check_limit"]);
        var changes = QuotaEngine.Resources.Keys.Where(body.Has).ToDictionary(r => r, r => body.Int(r)!.Value);
        foreach (var (resource, limit) in changes)
            if (limit < -1) throw NeutronErrors.BadAttribute(resource, $"'{limit}' is too small - must be at least '-1'");
        await using var c = await db.OpenAsync();
        foreach (var (resource, limit) in changes)
            await c.ExecuteAsync("INSERT INTO quotas (project_id, resource, `limit`) VALUES (@projectId, @resource, @limit) ON DUPLICATE KEY UPDATE `limit` = @limit",
                new { projectId, resource, limit });
        return Results.Json(new { quota = await quotas.LimitsAsync(c, projectId) });
    }

    private static async Task<IResult> DeleteAsync(string projectId, IDbConnectionFactory db, NeutronAuthz authz)
    {
        authz.Enforce("delete_quota", NeutronAuthz.Target(projectId));
        await using var c = await db.OpenAsync();
        await c.ExecuteAsync("DELETE FROM quotas WHERE project_id = @projectId", new { projectId });
        return Results.NoContent();
    }
}
