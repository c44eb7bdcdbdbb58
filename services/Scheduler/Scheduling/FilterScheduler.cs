using Microsoft.Extensions.Logging;
using Scheduler.Contracts;
using Scheduler.Filters;
using Scheduler.Placement;
using Scheduler.Weighers;

namespace Scheduler.Scheduling;

/// <summary>
/// select_destinations (nova's FilterScheduler): for each instance in turn, the hosts that fit
/// the flavor, through the enabled filters, weighed; the best whose claim succeeds becomes the
/// primary, the next ones the alternates. If any instance cannot be placed, the claims made
/// for the earlier ones are given back and the answer is NoValidHost.
/// </summary>
public sealed class FilterScheduler : IDisposable
{
    public const string NotEnoughHosts = "There are not enough hosts available.";

    private readonly PlacementStore store;
    private readonly HostStateView view;
    private readonly SchedulerOptions options;
    private readonly TimeProvider time;
    private readonly ILogger<FilterScheduler> logger;
    private readonly IReadOnlyList<IHostFilter> filters;
    private readonly IReadOnlyList<IHostWeigher> weighers;
    private readonly RequestedHostFilter requestedHost = new();
    private readonly SemaphoreSlim gate = new(1, 1);

    public FilterScheduler(PlacementStore store, SchedulerOptions options, TimeProvider time, ILogger<FilterScheduler> logger)
    {
        this.store = store;
        this.options = options;
        this.time = time;
        this.logger = logger;
        view = new HostStateView(store, options, time);
        filters = [.. options.EnabledFilters.Select(n => AllFilters.FirstOrDefault(f => f.Name == n)
            ?? throw new InvalidOperationException($"[filter_scheduler] enabled_filters: unknown filter '{n}'; known: {string.Join(", ", AllFilters.Select(f => f.Name))}"))];
        weighers = [.. options.Weighers.Select(n => AllWeighers.FirstOrDefault(w => w.Name == n)
            ?? throw new InvalidOperationException($"[filter_scheduler] weight_classes: unknown weigher '{n}'; known: {string.Join(", ", AllWeighers.Select(w => w.Name))}"))];
    }

    public static IReadOnlyList<IHostFilter> AllFilters { get; } =
    [
        new RetryFilter(), new AvailabilityZoneFilter(), new ComputeFilter(), new ComputeCapabilitiesFilter(), new ImagePropertiesFilter(),
        new ServerGroupAntiAffinityFilter(), new ServerGroupAffinityFilter(), new RequestedHostFilter(),
    ];

    public static IReadOnlyList<IHostWeigher> AllWeighers { get; } =
    [
        new RAMWeigher(), new DiskWeigher(), new CPUWeigher(), new BuildFailureWeigher(), new ServerGroupSoftAffinityWeigher(), new ServerGroupSoftAntiAffinityWeigher(),
    ];

    public void Dispose() => gate.Dispose();

    /// <summary>Loads (or refreshes) the host-state view now; answers how many nodes it holds.</summary>
    public async Task<int> WarmUpAsync(CancellationToken cancellationToken = default)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            await view.RefreshAsync(cancellationToken);
            return view.Count;
        }
        finally
        {
            gate.Release();
        }
    }

    public async Task<SelectDestinationsReply> SelectDestinationsAsync(SelectDestinations message, CancellationToken cancellationToken = default)
    {
        var spec = message.Spec;
        var resources = SchedulingRequest.ResourcesOf(spec.Flavor, spec.IsBfv);
        var uuids = message.InstanceUuids.Count > 0 ? message.InstanceUuids : [spec.InstanceUuid];
        var groupHosts = new List<string>(spec.InstanceGroup?.Hosts ?? []);
        var answers = new List<IReadOnlyList<Selection>>();
        var claimed = new List<(string Consumer, HostState Host)>();

        await gate.WaitAsync(cancellationToken);
        try
        {
            await view.RefreshAsync(cancellationToken);
            foreach (var uuid in uuids)
            {
                var request = new SchedulingRequest
                {
                    Spec = spec with { InstanceUuid = uuid }, Resources = resources, Options = options, Now = time.GetUtcNow().UtcDateTime, GroupHosts = groupHosts,
                };
                var ranked = Rank(request);
                var primaryIndex = -1;
                foreach (var i in PickOrder(ranked.Count))
                {
                    var host = ranked[i];
                    var outcome = await store.ClaimAtGenerationAsync(uuid, spec.ProjectId, spec.UserId ?? "",
                        new HostClaim(host.Id, host.Uuid, host.Generation, resources), cancellationToken);
                    if (outcome.Claimed)
                    {
                        HostStateView.Claimed(host, resources, outcome.Generations.GetValueOrDefault(host.Uuid, host.Generation + 1), outcome.UpdatedAt);
                        claimed.Add((uuid, host));
                        primaryIndex = i;
                        break;
                    }
                    // Our view was stale (another scheduler, or anyone, changed the provider): reload it and move on.
                    logger.LogDebug("claim for {Consumer} on {Host} failed: {Reason}", uuid, host.Host, outcome.Reason);
                    await view.ReloadAsync([host.Id], cancellationToken);
                }
                if (primaryIndex < 0)
                {
                    await ReleaseAsync(claimed);
                    logger.LogInformation("no valid host for {Instances} instance(s) of flavor {Flavor}: {Candidates} candidate(s) after filters",
                        uuids.Count, spec.Flavor.Name, ranked.Count);
                    return new SelectDestinationsReply { NoValidHostReason = NotEnoughHosts };
                }
                var primary = ranked[primaryIndex];
                groupHosts.Add(primary.Host);
                var selections = new List<Selection> { SelectionOf(primary, resources) };
                if (message.ReturnAlternates)
                {
                    foreach (var alternate in ranked)
                    {
                        if (selections.Count >= options.MaxAttempts) break;
                        if (ReferenceEquals(alternate, primary) || !alternate.Fits(resources)) continue;
                        selections.Add(SelectionOf(alternate, resources));
                    }
                }
                answers.Add(selections);
            }
            return new SelectDestinationsReply { Selections = answers };
        }
        catch
        {
            await ReleaseAsync(claimed);
            throw;
        }
        finally
        {
            gate.Release();
        }
    }

    // The ranking's lists, kept from one request to the next (requests rank one at a time, under
    // the gate): at 10,000 hosts a request would otherwise allocate a quarter of a megabyte, and
    // the collections that follow were the slowest requests' pauses.
    private readonly List<HostState> passedBuffer = [];
    private double[] totalsBuffer = [];
    private double[] rawBuffer = [];

    /// <summary>Hosts that fit and pass every filter, best first. Valid until the next call (under the gate).</summary>
    public RankedHosts Rank(SchedulingRequest request)
    {
        passedBuffer.Clear();
        if (passedBuffer.Capacity < view.Count) passedBuffer.Capacity = view.Count;
        if (totalsBuffer.Length < view.Count)
        {
            totalsBuffer = new double[view.Count];
            rawBuffer = new double[view.Count];
        }
        return RankHosts(view.Hosts, request, passedBuffer, totalsBuffer, rawBuffer);
    }

    /// <summary>As <see cref="Rank"/>, over the hosts given.</summary>
    public RankedHosts RankHosts(IEnumerable<HostState> hosts, SchedulingRequest request)
    {
        // Sized once: grown by doubling, a list of 10,000 hosts passes through a 128 KiB array,
        // which lands on the large object heap on every request.
        var count = hosts.TryGetNonEnumeratedCount(out var n) ? n : 0;
        return RankHosts(hosts, request, new List<HostState>(count), null, null);
    }

    private RankedHosts RankHosts(IEnumerable<HostState> hosts, SchedulingRequest request, List<HostState> passed, double[]? totals, double[]? raw)
    {
        // Only the filters the request gives something to check; the requested host first.
        var active = (requestedHost.AppliesTo(request) ? filters.Prepend(requestedHost) : filters).Where(f => f.AppliesTo(request)).ToArray();
        var resources = request.Resources.ToArray();
        var slots = resources.Select(r => HostState.SlotOf(r.Key)).ToArray();
        foreach (var host in hosts)
        {
            if (!host.Fits(resources, slots)) continue;
            var ok = true;
            foreach (var filter in active)
            {
                if (!filter.HostPasses(host, request)) { ok = false; break; }
            }
            if (ok) passed.Add(host);
        }
        var weights = passed.Count <= 1 ? new double[passed.Count]
            : totals is not null && raw is not null ? HostWeighing.Weigh(passed, weighers, request, totals, raw)
            : HostWeighing.Weigh(passed, weighers, request);
        return new RankedHosts(passed, weights, options.MaxAttempts + options.HostSubsetSize + 4);
    }

    // The first try is one of the best host_subset_size at random; then the rest in order.
    private IEnumerable<int> PickOrder(int count)
    {
        if (count == 0) yield break;
        var first = options.HostSubsetSize > 1 ? Random.Shared.Next(Math.Min(count, options.HostSubsetSize)) : 0;
        yield return first;
        for (var i = 0; i < count; i++) if (i != first) yield return i;
    }

    private Selection SelectionOf(HostState host, IReadOnlyDictionary<string, long> resources) => new()
    {
        ServiceHost = host.Host,
        Nodename = host.Nodename,
        ComputeNodeUuid = host.Uuid,
        AvailabilityZone = host.AvailabilityZone(options.DefaultAvailabilityZone),
        Allocation = new Dictionary<string, long>(resources),
    };

    private async Task ReleaseAsync(List<(string Consumer, HostState Host)> claimed)
    {
        foreach (var (consumer, host) in claimed)
        {
            try
            {
                await store.DeleteAllocationsAsync(consumer);
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "could not give back the claim of {Consumer} on {Host}", consumer, host.Host);
            }
            view.Released(host);
        }
        claimed.Clear();
    }
}
