using System.Text.Json.Nodes;
using Platform.Data;
using Volume.Common;
using Volume.Quotas;

namespace Volume.Limits;

/// <summary>
/// /limits: the project's absolute limits and, for a reader of the project (cinder's
/// os-used-limits), what it uses of them. There are no rate limits, so "rate" is empty. From
/// 3.39 an admin may name another project with <c>project_id</c> (or <c>tenant_id</c>); anyone
/// else's choice is ignored, as cinder ignores it.
/// </summary>
public static class LimitsApi
{
    private const string UsedLimitsRule = "limits_extension:used_limits";

    /// <summary>cinder's names of the limits and of their usage.</summary>
    private static readonly (string Resource, string Max, string Used)[] Names =
    [
        ("gigabytes", "maxTotalVolumeGigabytes", "totalGigabytesUsed"),
        ("backup_gigabytes", "maxTotalBackupGigabytes", "totalBackupGigabytesUsed"),
        ("volumes", "maxTotalVolumes", "totalVolumesUsed"),
        ("snapshots", "maxTotalSnapshots", "totalSnapshotsUsed"),
        ("backups", "maxTotalBackups", "totalBackupsUsed"),
    ];

    public static void MapLimits(this RouteGroupBuilder v3) => v3.MapGet("/limits", ShowAsync);

    private static async Task<IResult> ShowAsync(HttpContext http, IDbConnectionFactory db, CinderAuthz authz, QuotaEngine quotas)
    {
        var projectId = CinderAuthz.Caller.ProjectId ?? "";
        if (http.Microversion().AtLeast(39) && authz.IsAdmin)
        {
            var query = http.Request.Query;
            projectId = query["project_id"].LastOrDefault() ?? query["tenant_id"].LastOrDefault() ?? projectId;
        }
        var withUsage = authz.Allows(UsedLimitsRule);
        await using var c = await db.OpenAsync();
        var lines = (await quotas.ProjectAsync(c, projectId, withUsage)).ToDictionary(q => q.Resource);
        var absolute = new JsonObject();
        foreach (var (resource, max, _) in Names) absolute[max] = lines[resource].Limit;
        if (withUsage)
            foreach (var (resource, _, used) in Names) absolute[used] = lines[resource].InUse;
        return Results.Json(new JsonObject { ["limits"] = new JsonObject { ["rate"] = new JsonArray(), ["absolute"] = absolute } });
    }
}
