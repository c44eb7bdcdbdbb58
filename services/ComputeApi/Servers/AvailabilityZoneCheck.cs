using ComputeApi.Common;
using Scheduler.Contracts.Placement;

namespace ComputeApi.Servers;

/// <summary>
/// The availability_zone of a create: the default zone ("nova" unless <c>[DEFAULT]
/// default_availability_zone</c>), or one a compute node is in, as placement knows them. A zone
/// found in the list read in the last few seconds passes at once; a zone not in it is looked up
/// again before it is refused, so a zone an operator has just made is never refused for a stale
/// list. Lookups that miss at the same time share one read.
/// </summary>
public sealed class AvailabilityZoneCheck(Placement.PlacementClient placement, IConfiguration configuration, TimeProvider time)
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);
    private readonly Lock gate = new();
    private ZoneList? known;
    private (Task<ZoneList> List, DateTimeOffset StartedAt)? reading;

    private sealed record ZoneList(HashSet<string> Zones, DateTimeOffset ReadAt);

    public string DefaultZone => configuration["default_availability_zone"] ?? configuration["DEFAULT:default_availability_zone"] ?? "nova";

    public async Task<(string? Zone, string? Host)> ResolveAsync(string? requested, NovaAuthz authz)
    {
        if (string.IsNullOrEmpty(requested)) return (null, null);
        var parts = requested.Split(':');
        var zone = parts[0];
        var host = parts.Length > 1 && parts[1].Length > 0 ? parts[1] : null;
        if (zone.Length == 0) zone = DefaultZone;
        if (zone != DefaultZone && !await IsKnownAsync(zone))
            throw NovaErrors.BadRequest("The requested availability zone is not available");
        return (zone, host);
    }

    private async Task<bool> IsKnownAsync(string zone)
    {
        var asked = time.GetUtcNow();
        var list = known;
        if (list is not null && asked - list.ReadAt < CacheFor && list.Zones.Contains(zone)) return true;
        // Not in a recent list: decide on a list read after this request arrived.
        return (await ReadAfterAsync(asked)).Zones.Contains(zone);
    }

    private Task<ZoneList> ReadAfterAsync(DateTimeOffset notBefore)
    {
        lock (gate)
        {
            if (known is { } k && k.ReadAt >= notBefore) return Task.FromResult(k);
            if (reading is { } r && r.StartedAt >= notBefore) return r.List;
            var started = time.GetUtcNow();
            var list = ReadAsync(started);
            reading = (list, started);
            return list;
        }
    }

    private async Task<ZoneList> ReadAsync(DateTimeOffset startedAt)
    {
        await Task.Yield();
        var reply = await placement.ListComputeNodesAsync(new ListComputeNodesRequest());
        var list = new ZoneList(reply.Nodes.Select(n => n.AvailabilityZone).Where(z => !string.IsNullOrEmpty(z)).ToHashSet(), startedAt);
        lock (gate)
        {
            if (known is null || known.ReadAt < startedAt) known = list;
        }
        return list;
    }
}
