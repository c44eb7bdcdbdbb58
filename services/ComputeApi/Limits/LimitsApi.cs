using System.Text.Json.Nodes;
using ComputeApi.Common;
using ComputeApi.Quotas;
using Dapper;
using Platform.Data;

namespace ComputeApi.Limits;

/// <summary>/limits: the caller's project's absolute limits and what it uses of them (rate limits are gone, so "rate" is empty).</summary>
public static class LimitsApi
{
    public static void MapLimits(this RouteGroupBuilder v21) => v21.MapGet("/limits", ShowAsync);

    private static async Task<IResult> ShowAsync(HttpContext http, IDbConnectionFactory db, NovaAuthz authz, QuotaEngine quotas)
    {
        var caller = NovaAuthz.Caller;
        var projectId = caller.ProjectId ?? "";
        authz.Enforce("os_compute_api:limits");
        if (http.Request.Query["tenant_id"].LastOrDefault() is { Length: > 0 } other && other != projectId)
        {
            authz.Enforce("os_compute_api:limits:other_project", other);
            projectId = other;
        }
        var version = http.Microversion();
        await using var c = await db.OpenAsync();
        var limits = await quotas.LimitsAsync(c, projectId);
        var used = await QuotaEngine.UsageAsync(c, projectId);
        var absolute = new JsonObject
        {
            ["maxTotalInstances"] = limits["instances"],
            ["maxTotalCores"] = limits["cores"],
            ["maxTotalRAMSize"] = limits["ram"],
            ["maxTotalKeypairs"] = limits["key_pairs"],
            ["maxServerMeta"] = limits["metadata_items"],
            ["maxServerGroups"] = limits["server_groups"],
            ["maxServerGroupMembers"] = limits["server_group_members"],
            ["totalInstancesUsed"] = used["instances"],
            ["totalCoresUsed"] = used["cores"],
            ["totalRAMUsed"] = used["ram"],
            ["totalServerGroupsUsed"] = used["server_groups"],
        };
        if (!version.AtLeast(39)) absolute["maxImageMeta"] = limits["metadata_items"];
        if (!version.AtLeast(57))
        {
            absolute["maxPersonality"] = limits["injected_files"];
            absolute["maxPersonalitySize"] = limits["injected_file_content_bytes"];
        }
        if (!version.AtLeast(36))
        {
            absolute["maxSecurityGroups"] = 10;
            absolute["maxSecurityGroupRules"] = 20;
            absolute["maxTotalFloatingIps"] = 10;
            absolute["totalSecurityGroupsUsed"] = 0;
            absolute["totalFloatingIpsUsed"] = 0;
        }
        return Results.Json(new JsonObject { ["limits"] = new JsonObject { ["rate"] = new JsonArray(), ["absolute"] = absolute } });
    }
}
