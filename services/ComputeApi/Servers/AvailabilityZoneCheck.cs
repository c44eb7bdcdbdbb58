using ComputeApi.Common;
using Scheduler.Contracts.Placement;

namespace ComputeApi.Servers;

/// <summary>
/// The availability_zone of a create: the default zone ("nova" unless <c>[DEFAULT]
/// default_availability_zone</c>), or one a compute node is in (as placement knows them, read at
/// most every few seconds); "zone:host" asks for a host (admins only).
/// </summary>
public sealed class AvailabilityZoneCheck(Placement.PlacementClient placement, IConfiguration configuration, TimeProvider time)
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);
    private (HashSet<string> Zones, DateTimeOffset At)? known;

    public string DefaultZone => configuration["default_availability_zone"] ?? configuration["DEFAULT:default_availability_zone"] ?? "nova";

    public async Task<(string? Zone, string? Host)> ResolveAsync(string? requested, NovaAuthz authz)
    {
        if (string.IsNullOrEmpty(requested)) return (null, null);
        var parts = requested.Split(':');
        var zone = parts[0];
        var host = parts.Length > 1 && parts[1].Length > 0 ? parts[1] : null;
        if (zone.Length == 0) zone = DefaultZone;
        if (zone != DefaultZone && !(await ZonesAsync()).Contains(zone))
            throw NovaErrors.BadRequest("The requested availability zone is not available");
        return (zone, host);
    }

    private async Task<HashSet<string>> ZonesAsync()
    {
        var now = time.GetUtcNow();
        if (known is { } k && now - k.At < CacheFor) return k.Zones;
        var reply = await placement.ListComputeNodesAsync(new ListComputeNodesRequest());
        var zones = reply.Nodes.Select(n => n.AvailabilityZone).Where(z => !string.IsNullOrEmpty(z)).ToHashSet();
        known = (zones, now);
        return zones;
    }
}
