using System.Globalization;
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Platform.Data;
using Volume.Common;

namespace Volume.Quotas;

/// <summary>
/// os-quota-sets: a project's limits (with <c>?usage=True</c> what it uses of them), the defaults,
/// and an admin's changes and reset. The target project is any id: cinder does not ask identity
/// whether it exists.
/// </summary>
public static class QuotaSetsApi
{
    private const string ShowRule = "volume_extension:quotas:show";
    private const string UpdateRule = "volume_extension:quotas:update";
    private const string DeleteRule = "volume_extension:quotas:delete";

    /// <summary>cinder's db.MAX_INT: the largest limit it stores.</summary>
    private const int MaxLimit = int.MaxValue;

    public static void MapQuotaSets(this RouteGroupBuilder v3)
    {
        v3.MapGet("/os-quota-sets/{id}", ShowAsync);
        v3.MapGet("/os-quota-sets/{id}/defaults", DefaultsAsync);
        v3.MapPut("/os-quota-sets/{id}", UpdateAsync);
        v3.MapDelete("/os-quota-sets/{id}", DeleteAsync);
    }

    private static async Task<IResult> ShowAsync(string id, HttpRequest request, IDbConnectionFactory db, CinderAuthz authz, QuotaEngine quotas)
    {
        authz.Enforce(ShowRule, id);
        var usage = CinderBody.BoolParam(request, "usage");
        await using var c = await db.OpenAsync();
        var set = new JsonObject();
        foreach (var q in await quotas.ProjectAsync(c, id, usage))
            set[q.Resource] = usage ? new JsonObject { ["limit"] = q.Limit, ["in_use"] = q.InUse, ["reserved"] = 0 } : q.Limit;
        set["id"] = id;
        return Results.Json(new JsonObject { ["quota_set"] = set });
    }

    private static async Task<IResult> DefaultsAsync(string id, IDbConnectionFactory db, CinderAuthz authz, QuotaEngine quotas)
    {
        authz.Enforce(ShowRule, id);
        await using var c = await db.OpenAsync();
        var set = new JsonObject();
        foreach (var (resource, limit) in await quotas.DefaultsAsync(c)) set[resource] = limit;
        set["id"] = id;
        return Results.Json(new JsonObject { ["quota_set"] = set });
    }

    /// <summary>
    /// Sets some of the project's limits. As cinder: the body is checked first (known resources,
    /// integers from -1 to 2147483647), then the policy, then that no new limit is below what the
    /// project uses now; all or nothing is written. The answer is the project's limits, without id.
    /// </summary>
    private static async Task<IResult> UpdateAsync(string id, HttpRequest request, IDbConnectionFactory db, CinderAuthz authz, QuotaEngine quotas)
    {
        var body = CinderBody.Root(await CinderBody.ReadAsync(request), "quota_set");
        if (body.Count == 0) throw CinderErrors.InvalidField("quota_set", "{}", "{} does not have enough properties");

        await using var c = await db.OpenAsync();
        var known = QuotaEngine.Resources(await QuotaEngine.VolumeTypesAsync(c)).ToHashSet();
        var changes = new Dictionary<string, int>();
        var bad = new List<string>();
        foreach (var (key, value) in body)
        {
            if (QuotaEngine.NonQuotaKeys.Contains(key)) continue;
            if (!known.Contains(key))
            {
                bad.Add(key);
                continue;
            }
            changes[key] = Limit(key, value);
        }
        if (bad.Count > 0) throw CinderErrors.InvalidInput($"Bad key(s) in quota set: {string.Join(", ", bad)}");

        authz.Enforce(UpdateRule, id);
        if (id.Length > 255) throw CinderErrors.BadRequest("quota_set_name has more than 255 characters.");

        await using var tx = await c.BeginTransactionAsync();
        // Under the project's lock, so a create counted at the same time cannot slip under a lowered limit.
        await QuotaEngine.LockAsync(tx, id);
        var current = (await quotas.ProjectAsync(c, id, withUsage: true, tx)).ToDictionary(q => q.Resource);
        foreach (var (resource, limit) in changes)
        {
            // per_volume_gigabytes limits each volume, not a sum; -1 is never below anything.
            if (resource == "per_volume_gigabytes" || limit == -1) continue;
            var used = current.TryGetValue(resource, out var q) ? q.InUse : 0;
            if (limit < used)
                throw CinderErrors.BadRequest($"Quota {resource} limit must be equal or greater than existing resources. Current usage is {used} and the requested limit is {limit}.");
        }
        foreach (var (resource, limit) in changes)
            await c.ExecuteAsync("""
                INSERT INTO quotas (project_id, resource, hard_limit, created_at) VALUES (@id, @resource, @limit, UTC_TIMESTAMP(6))
                ON DUPLICATE KEY UPDATE hard_limit = @limit, updated_at = UTC_TIMESTAMP(6)
                """, new { id, resource, limit }, tx);
        var set = new JsonObject();
        foreach (var q in await quotas.ProjectAsync(c, id, withUsage: false, tx)) set[q.Resource] = q.Limit;
        await tx.CommitAsync();
        return Results.Json(new JsonObject { ["quota_set"] = set });
    }

    /// <summary>
    /// A limit as cinder's validate_integer takes it: a JSON integer or a string of one
    /// (Python's <c>int(str(value))</c>), from -1 to 2147483647, each failure naming the resource.
    /// </summary>
    private static int Limit(string resource, JsonNode? value)
    {
        var text = value switch
        {
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.ToJsonString(),
            _ => null,
        };
        if (text is null || !BigInteger.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
            throw CinderErrors.BadRequest($"{resource} must be an integer");
        if (n < -1) throw CinderErrors.BadRequest($"{resource} must be >= -1");
        if (n > MaxLimit) throw CinderErrors.BadRequest($"{resource} must be <= {MaxLimit}");
        return (int)n;
    }

    /// <summary>Back to the defaults: the project's own limits are forgotten. 200 with no body, as cinder answers.</summary>
    private static async Task<IResult> DeleteAsync(string id, IDbConnectionFactory db, CinderAuthz authz)
    {
        authz.Enforce(DeleteRule, id);
        await using var c = await db.OpenAsync();
        await c.ExecuteAsync("DELETE FROM quotas WHERE project_id = @id", new { id });
        return Results.Ok();
    }
}
