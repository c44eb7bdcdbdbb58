using ComputeApi.Common;
using Platform.Data;

namespace ComputeApi.AvailabilityZones;

/// <summary>
/// /os-availability-zone: the zones of the compute hosts placement knows (a zone is available
/// while one of its compute services is enabled), and, for admins, their hosts and services.
/// </summary>
public static class AvailabilityZonesApi
{
    public static void MapAvailabilityZones(this RouteGroupBuilder v21)
    {
        v21.MapGet("/os-availability-zone", ListAsync);
        v21.MapGet("/os-availability-zone/detail", DetailAsync);
    }

    private static async Task<IResult> ListAsync(IDbConnectionFactory db, NovaAuthz authz, HostZones zones)
    {
        authz.Enforce("os_compute_api:os-availability-zone:list");
        var hosts = await HostsByZoneAsync(db, zones);
        var info = hosts.Select(z => new Dictionary<string, object?>
        {
            ["zoneName"] = z.Key,
            ["zoneState"] = new { available = z.Value.Any(n => !n.Disabled) },
            ["hosts"] = null,
        });
        return Results.Json(new { availabilityZoneInfo = info });
    }

    private static async Task<IResult> DetailAsync(IDbConnectionFactory db, NovaAuthz authz, HostZones zones)
    {
        authz.Enforce("os_compute_api:os-availability-zone:detail");
        var hosts = await HostsByZoneAsync(db, zones);
        var now = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.ffffff", System.Globalization.CultureInfo.InvariantCulture);
        var info = hosts.Select(z => new Dictionary<string, object?>
        {
            ["zoneName"] = z.Key,
            ["zoneState"] = new { available = z.Value.Any(n => !n.Disabled) },
            ["hosts"] = z.Value.GroupBy(n => n.Host).ToDictionary(h => h.Key, h => new Dictionary<string, object>
            {
                ["nova-compute"] = new { available = h.Any(n => n.Up), active = h.Any(n => !n.Disabled), updated_at = now },
            }),
        });
        return Results.Json(new { availabilityZoneInfo = info });
    }

    private static async Task<SortedDictionary<string, List<Scheduler.Contracts.Placement.ComputeNode>>> HostsByZoneAsync(IDbConnectionFactory db, HostZones zones)
    {
        var nodes = await zones.ComputeNodesAsync();
        Dictionary<string, string> aggregateZones;
        await using (var c = await db.OpenAsync()) aggregateZones = await HostZones.AggregateZonesAsync(c);
        var byZone = new SortedDictionary<string, List<Scheduler.Contracts.Placement.ComputeNode>>(StringComparer.Ordinal);
        foreach (var node in nodes)
        {
            var zone = aggregateZones.TryGetValue(node.Host, out var z) ? z
                : !string.IsNullOrEmpty(node.AvailabilityZone) ? node.AvailabilityZone : zones.DefaultZone;
            if (!byZone.TryGetValue(zone, out var list)) byZone[zone] = list = [];
            list.Add(node);
        }
        return byZone;
    }
}
