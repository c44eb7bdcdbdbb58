using System.Text.Json.Nodes;
using Dapper;
using Platform.Data;
using Volume.Common;
using Volume.Scheduling;
using Volume.Volumes;

namespace Volume.Services;

/// <summary>
/// os-services (admin): the schedulers and backends with their heartbeat state, and their
/// enabling and disabling; os-availability-zone: the zones that have a service; and
/// scheduler-stats/get_pools (admin): each backend's pool as it last reported it.
/// </summary>
public static class ServicesApi
{
    public static void MapServices(this RouteGroupBuilder v3)
    {
        v3.MapGet("/os-services", ListAsync);
        v3.MapPut("/os-services/{action}", UpdateAsync);
        v3.MapGet("/os-availability-zone", ZonesAsync);
        v3.MapGet("/scheduler-stats/get_pools", PoolsAsync);
    }

    private sealed record ServiceRow(string Host, string Binary, string AvailabilityZone, bool Disabled, string? DisabledReason, bool Frozen,
        string? ReplicationStatus, string? ActiveBackendId, string? ClusterName, string? Capabilities, DateTime? UpdatedAt);

    private const string Columns = "host, `binary`, availability_zone, disabled, disabled_reason, frozen, replication_status, active_backend_id, cluster_name, capabilities, updated_at";

    private static async Task<IResult> ListAsync(HttpContext http, IDbConnectionFactory db, CinderAuthz authz, VolumeSettings settings, TimeProvider time)
    {
        authz.Enforce("volume_extension:services:index");
        var q = http.Request.Query;
        await using var c = await db.OpenAsync();
        var rows = await c.QueryAsync<ServiceRow>($"""
            SELECT {Columns} FROM services WHERE (@host IS NULL OR host = @host) AND (@binary IS NULL OR `binary` = @binary) ORDER BY `binary`, host
            """, new { host = q["host"].LastOrDefault(), binary = q["binary"].LastOrDefault() });
        var version = http.Microversion();
        var now = time.GetUtcNow().UtcDateTime;
        var list = new JsonArray();
        foreach (var s in rows)
        {
            var up = s.UpdatedAt is { } t && now - t <= settings.ServiceDownTime;
            var view = new JsonObject
            {
                ["binary"] = s.Binary,
                ["host"] = s.Host,
                ["zone"] = s.AvailabilityZone,
                ["status"] = s.Disabled ? "disabled" : "enabled",
                ["state"] = up ? "up" : "down",
                ["updated_at"] = VolumeView.TimeNode(s.UpdatedAt),
                ["disabled_reason"] = s.DisabledReason,
            };
            if (s.Binary == ServiceReporter.VolumeBinary)
            {
                view["replication_status"] = s.ReplicationStatus ?? "disabled";
                view["active_backend_id"] = s.ActiveBackendId;
                view["frozen"] = s.Frozen;
            }
            if (version.AtLeast(7)) view["cluster"] = s.ClusterName;
            if (version.AtLeast(49) && s.Binary == ServiceReporter.VolumeBinary) view["backend_state"] = up ? "up" : "down";
            list.Add(view);
        }
        return Results.Json(new JsonObject { ["services"] = list });
    }

    /// <summary>PUT os-services/enable, disable, disable-log-reason with <c>host</c> and <c>binary</c>, as cinder's.</summary>
    private static async Task<IResult> UpdateAsync(string action, HttpRequest request, IDbConnectionFactory db, CinderAuthz authz, TimeProvider time)
    {
        authz.Enforce("volume_extension:services:update");
        var body = await CinderBody.ReadAsync(request);
        var host = body["host"]?.GetValue<string>() ?? throw CinderErrors.BadRequest("Missing required element 'host' in request body.");
        var binary = body["binary"]?.GetValue<string>() ?? body["service"]?.GetValue<string>() ?? ServiceReporter.VolumeBinary;
        string? reason = null;
        bool disabled;
        switch (action)
        {
            case "enable": disabled = false; break;
            case "disable": disabled = true; break;
            case "disable-log-reason":
                disabled = true;
                reason = body["disabled_reason"]?.GetValue<string>()?.Trim();
                if (string.IsNullOrEmpty(reason) || reason.Length > 255) throw CinderErrors.BadRequest("Disabled reason contains invalid characters or is too long");
                break;
            default: throw CinderErrors.NotFound("Unknown action");
        }
        await using var c = await db.OpenAsync();
        var changed = await c.ExecuteAsync("""
            UPDATE services SET disabled = @disabled, disabled_reason = @reason, modified_at = @now WHERE host = @host AND `binary` = @binary
            """, new { disabled, reason, host, binary, now = time.GetUtcNow().UtcDateTime });
        if (changed == 0 && await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM services WHERE host = @host AND `binary` = @binary", new { host, binary }) == 0)
            throw CinderErrors.NotFound($"Service {binary} on host {host} could not be found.");
        var answer = new JsonObject { ["host"] = host, ["binary"] = binary, ["status"] = disabled ? "disabled" : "enabled", ["disabled"] = disabled };
        if (reason is not null) answer["disabled_reason"] = reason;
        return Results.Json(answer);
    }

    private static async Task<IResult> ZonesAsync(IDbConnectionFactory db, CinderAuthz authz, VolumeSettings settings, TimeProvider time)
    {
        authz.Enforce("volume_extension:availability_zone_list");
        await using var c = await db.OpenAsync();
        var since = time.GetUtcNow().UtcDateTime - settings.ServiceDownTime;
        var zones = await c.QueryAsync<(string Zone, bool Available)>("""
            SELECT availability_zone, MAX(disabled = 0 AND updated_at >= @since) FROM services WHERE `binary` = 'cinder-volume' GROUP BY availability_zone ORDER BY availability_zone
            """, new { since });
        var list = new JsonArray();
        foreach (var (zone, available) in zones)
            list.Add(new JsonObject { ["zoneName"] = zone, ["zoneState"] = new JsonObject { ["available"] = available } });
        return Results.Json(new JsonObject { ["availabilityZoneInfo"] = list });
    }

    private static async Task<IResult> PoolsAsync(HttpContext http, IDbConnectionFactory db, CinderAuthz authz, VolumeSettings settings, TimeProvider time)
    {
        authz.Enforce("scheduler_extension:scheduler_stats:get_pools");
        var detail = CinderBody.BoolParam(http.Request, "detail");
        await using var c = await db.OpenAsync();
        var since = time.GetUtcNow().UtcDateTime - settings.ServiceDownTime;
        var rows = await c.QueryAsync<(string Host, string Capabilities)>(
            "SELECT host, capabilities FROM services WHERE `binary` = 'cinder-volume' AND capabilities IS NOT NULL AND updated_at >= @since ORDER BY host", new { since });
        var list = new JsonArray();
        foreach (var (host, capabilities) in rows)
        {
            var pool = PoolStats.FromJson(capabilities)!;
            var entry = new JsonObject { ["name"] = $"{host}#{pool.PoolName}" };
            if (detail)
            {
                var caps = new JsonObject();
                foreach (var (k, v) in System.Text.Json.JsonSerializer.SerializeToNode(pool)!.AsObject()) caps[k] = v?.DeepClone();
                caps["timestamp"] = VolumeView.Time(time.GetUtcNow().UtcDateTime);
                entry["capabilities"] = caps;
            }
            list.Add(entry);
        }
        return Results.Json(new JsonObject { ["pools"] = list });
    }
}
