using Scheduler.Placement;

namespace Scheduler.Scheduling;

/// <summary>
/// The scheduler's in-memory picture of every compute node. Loaded whole once, then refreshed
/// incrementally: each refresh polls the providers whose updated_at moved since the last one
/// (with an overlap for transactions that committed late) and reloads only those whose
/// generation or updated_at differ from what is held. A node's periodic report that changes
/// nothing leaves updated_at alone; the view reads who reported every few seconds instead
/// (a quarter of service_down_time at most), which is all ComputeFilter needs of it. This
/// scheduler's own claims update it in place. It guides filtering and weighing only; the
/// database claim decides.
/// Not thread-safe: the scheduler uses it under its own lock.
/// </summary>
public sealed class HostStateView(PlacementStore store, SchedulerOptions options, TimeProvider time)
{
    private readonly Dictionary<long, HostState> hosts = [];
    private readonly HashSet<long> dirty = [];
    private DateTime? lastRefresh;
    private DateTime lastReportsLook;

    private TimeSpan ReportsLookInterval => TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(5).Ticks, options.ServiceDownTime.Ticks / 4));

    public IReadOnlyCollection<HostState> Hosts => hosts.Values;

    public int Count => hosts.Count;

    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        var started = time.GetUtcNow().UtcDateTime;
        if (lastRefresh is not { } last)
        {
            foreach (var s in await store.LoadProvidersAsync(null, cancellationToken: cancellationToken)) Put(s);
            lastRefresh = started;
            lastReportsLook = started;
            dirty.Clear();
            return;
        }
        var changed = await store.ChangedSinceAsync(last - options.RefreshOverlap, cancellationToken);
        var reload = new HashSet<long>(dirty);
        foreach (var (id, generation, updatedAt) in changed)
            if (!hosts.TryGetValue(id, out var held) || held.Generation != generation || held.UpdatedAt != updatedAt) reload.Add(id);
        if (reload.Count > 0)
        {
            foreach (var chunk in reload.Chunk(1000))
                foreach (var s in await store.LoadProvidersAsync(chunk, cancellationToken: cancellationToken)) Put(s);
        }
        dirty.Clear();
        lastRefresh = started;
        if (started - lastReportsLook >= ReportsLookInterval)
        {
            foreach (var (id, at) in await store.ReportedSinceAsync(lastReportsLook - options.RefreshOverlap, cancellationToken))
                if (hosts.TryGetValue(id, out var host) && at > host.LastReportAt) host.LastReportAt = at;
            lastReportsLook = started;
        }
    }

    /// <summary>Reload this provider at the next refresh (a claim on it failed, so what is held is stale).</summary>
    public void MarkStale(long id) => dirty.Add(id);

    /// <summary>Reloads these providers now.</summary>
    public async Task ReloadAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default)
    {
        foreach (var s in await store.LoadProvidersAsync(ids, cancellationToken: cancellationToken)) Put(s);
    }

    /// <summary>Records this scheduler's successful claim on <paramref name="host"/>.</summary>
    public static void Claimed(HostState host, IReadOnlyDictionary<string, long> resources, long generation, DateTime updatedAt)
    {
        host.Consume(resources);
        // What the database now says of the provider: the next refresh has nothing to reload
        // unless someone else changed it since.
        host.Generation = generation;
        host.UpdatedAt = updatedAt;
    }

    /// <summary>Undoes <see cref="Claimed"/> when the claim is rolled back.</summary>
    public void Released(HostState host) => dirty.Add(host.Id);

    private void Put(ProviderSnapshot s)
    {
        // Nodes that never reported host state are placement-only providers: not schedulable.
        if (s.Row.Host is null) return;
        hosts[s.Row.Id] = HostState.From(s);
    }
}
