using System.Text.Json.Nodes;
using ComputeApi.Common;
using Dapper;
using Platform.Data;

namespace ComputeApi.Quotas;

/// <summary>os-quota-sets: a project's limits (show, detail, defaults), changed or reset by admins.</summary>
public static class QuotaSetsApi
{
    // Network quotas nova proxied before 2.36, shown with nova's defaults.
    private static readonly Dictionary<string, int> LegacyNetwork = new()
    {
        ["fixed_ips"] = -1, ["floating_ips"] = 10, ["security_groups"] = 10, ["security_group_rules"] = 20,
    };

    public static void MapQuotaSets(this RouteGroupBuilder v21)
    {
        v21.MapGet("/os-quota-sets/{projectId}", (string projectId, HttpContext http, IDbConnectionFactory db, NovaAuthz authz, QuotaEngine quotas) =>
            ShowAsync(projectId, http, db, authz, quotas, detail: false));
        v21.MapGet("/os-quota-sets/{projectId}/detail", (string projectId, HttpContext http, IDbConnectionFactory db, NovaAuthz authz, QuotaEngine quotas) =>
            ShowAsync(projectId, http, db, authz, quotas, detail: true));
        v21.MapGet("/os-quota-sets/{projectId}/defaults", (string projectId, HttpContext http, NovaAuthz authz, QuotaEngine quotas) =>
        {
            authz.Enforce("os_compute_api:os-quota-sets:defaults", projectId);
            var set = Shown(http, quotas.Defaults.ToDictionary(d => d.Key, d => (JsonNode?)d.Value));
            set["id"] = projectId;
            return Results.Json(new JsonObject { ["quota_set"] = set });
        });
        v21.MapPut("/os-quota-sets/{projectId}", UpdateAsync);
        v21.MapDelete("/os-quota-sets/{projectId}", DeleteAsync);
    }

    /// <summary>The resources this microversion shows, in nova's order.</summary>
    private static JsonObject Shown(HttpContext http, Dictionary<string, JsonNode?> values)
    {
        var version = http.Microversion();
        var set = new JsonObject();
        foreach (var (resource, value) in values)
        {
            if (resource.StartsWith("injected_file", StringComparison.Ordinal) && version.AtLeast(57)) continue;
            set[resource] = value;
        }
        if (!version.AtLeast(36))
            foreach (var (resource, limit) in LegacyNetwork)
                set[resource] = values.TryGetValue("cores", out var cores) && cores is JsonObject ? new JsonObject { ["in_use"] = 0, ["limit"] = limit, ["reserved"] = 0 } : limit;
        return set;
    }

    private static async Task<IResult> ShowAsync(string projectId, HttpContext http, IDbConnectionFactory db, NovaAuthz authz, QuotaEngine quotas, bool detail)
    {
        authz.Enforce(detail ? "os_compute_api:os-quota-sets:detail" : "os_compute_api:os-quota-sets:show", projectId);
        await using var c = await db.OpenAsync();
        var limits = await quotas.LimitsAsync(c, projectId);
        JsonObject set;
        if (detail)
        {
            var usage = await QuotaEngine.UsageAsync(c, projectId);
            usage["key_pairs"] = await c.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM key_pairs WHERE user_id = @userId", new { userId = NovaAuthz.Caller.UserId });
            set = Shown(http, limits.ToDictionary(l => l.Key, l => (JsonNode?)new JsonObject { ["in_use"] = usage.GetValueOrDefault(l.Key), ["limit"] = l.Value, ["reserved"] = 0 }));
        }
        else set = Shown(http, limits.ToDictionary(l => l.Key, l => (JsonNode?)l.Value));
        set["id"] = projectId;
        return Results.Json(new JsonObject { ["quota_set"] = set });
    }

    private static async Task<IResult> UpdateAsync(string projectId, HttpContext http, IDbConnectionFactory db, NovaAuthz authz, QuotaEngine quotas)
    {
        authz.Enforce("os_compute_api:os-quota-sets:update", projectId);
        var body = NovaBody.Section(await NovaBody.ReadAsync(http.Request), "quota_set");
        var allowed = QuotaEngine.BuiltInDefaults.Keys.Concat(["force"]).Concat(http.Microversion().AtLeast(36) ? [] : LegacyNetwork.Keys).ToArray();
        NovaBody.Only(body, allowed);
        var changes = QuotaEngine.BuiltInDefaults.Keys.Where(body.ContainsKey).ToDictionary(r => r, r => NovaBody.Int(body, r, -1)!.Value);
        await using var c = await db.OpenAsync();
        foreach (var (resource, limit) in changes)
            await c.ExecuteAsync("INSERT INTO quotas (project_id, resource, hard_limit) VALUES (@projectId, @resource, @limit) ON DUPLICATE KEY UPDATE hard_limit = @limit",
                new { projectId, resource, limit });
        var limits = await quotas.LimitsAsync(c, projectId);
        return Results.Json(new JsonObject { ["quota_set"] = Shown(http, limits.ToDictionary(l => l.Key, l => (JsonNode?)l.Value)) });
    }

    private static async Task<IResult> DeleteAsync(string projectId, IDbConnectionFactory db, NovaAuthz authz)
    {
        authz.Enforce("os_compute_api:os-quota-sets:delete", projectId);
        await using var c = await db.OpenAsync();
        await c.ExecuteAsync("DELETE FROM quotas WHERE project_id = @projectId", new { projectId });
        return Results.StatusCode(StatusCodes.Status202Accepted);
    }
}
