using ComputeApi.AvailabilityZones;
using ComputeApi.Common;

namespace ComputeApi.Servers;

/// <summary>
/// The availability_zone of a create: the default zone ("nova" unless <c>[DEFAULT]
/// default_availability_zone</c>), or one a compute node is in, as placement knows them (read
/// through <see cref="HostZones"/>, as the zone list is); "zone:host" names a host too. A zone
/// found in the list read in the last few seconds passes at once. A zone not in it is looked up
/// again before it is refused, in a list read after the request arrived, so a zone an operator
/// has just made is never refused for a stale list. Misses that arrive while a read is running
/// share the one read that follows it, so a flood of misses costs a read at a time, not one per
/// request.
/// </summary>
public sealed class AvailabilityZoneCheck(HostZones hostZones, TimeProvider time)
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);
    private readonly Lock gate = new();
    private ZoneList? known;
    private (Task<ZoneList> List, DateTimeOffset StartedAt)? running;
    private Task<ZoneList>? next;

    private sealed record ZoneList(HashSet<string> Zones, DateTimeOffset ReadAt);

    public async Task<(string? Zone, string? Host)> ResolveAsync(string? requested)
    {
        if (string.IsNullOrEmpty(requested)) return (null, null);
        var parts = requested.Split(':');
        var zone = parts[0];
        var host = parts.Length > 1 && parts[1].Length > 0 ? parts[1] : null;
        if (zone.Length == 0) zone = hostZones.DefaultZone;
        if (zone != hostZones.DefaultZone && !await IsKnownAsync(zone))
            throw NovaErrors.BadRequest("The requested availability zone is not available");
        return (zone, host);
    }

    private async Task<bool> IsKnownAsync(string zone)
    {
        var asked = time.GetUtcNow();
        var list = known;
        if (list is not null && asked - list.ReadAt < CacheFor && list.Zones.Contains(zone)) return true;
        return (await ReadAfterAsync(asked)).Zones.Contains(zone);
    }

    /// <summary>A list whose read began at or after <paramref name="notBefore"/>.</summary>
    private Task<ZoneList> ReadAfterAsync(DateTimeOffset notBefore)
    {
        lock (gate)
        {
            if (known is { } k && k.ReadAt >= notBefore) return Task.FromResult(k);
            if (running is { } r && !r.List.IsCompleted)
                return r.StartedAt >= notBefore ? r.List : next ??= ReadWhenDoneAsync(r.List);
            return StartRead();
        }
    }

    // Under the gate.
    private Task<ZoneList> StartRead()
    {
        var startedAt = time.GetUtcNow();
        var list = ReadAsync(startedAt);
        running = (list, startedAt);
        return list;
    }

    private async Task<ZoneList> ReadWhenDoneAsync(Task<ZoneList> current)
    {
        await Task.Yield();
        await ((Task)current).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        Task<ZoneList> list;
        lock (gate)
        {
            next = null;
            list = StartRead();
        }
        return await list;
    }

    private async Task<ZoneList> ReadAsync(DateTimeOffset startedAt)
    {
        await Task.Yield();
        var nodes = await hostZones.ComputeNodesAsync();
        var list = new ZoneList(nodes.Select(n => n.AvailabilityZone).Where(z => !string.IsNullOrEmpty(z)).ToHashSet(), startedAt);
        lock (gate)
        {
            if (known is null || known.ReadAt < startedAt) known = list;
        }
        return list;
    }
}
