using Scheduler.Scheduling;

namespace Scheduler.Filters;

/// <summary>A group with the anti-affinity policy: no host with max_server_per_host members already.</summary>
public sealed class ServerGroupAntiAffinityFilter : IHostFilter
{
    public string Name => nameof(ServerGroupAntiAffinityFilter);

    public bool AppliesTo(SchedulingRequest request) => request.Spec.InstanceGroup is { Policy: "anti-affinity" } && request.GroupHosts.Count > 0;

    public bool HostPasses(HostState host, SchedulingRequest request) =>
        request.Spec.InstanceGroup is not { Policy: "anti-affinity" } group
        || request.GroupMembersOn(host.Host) < Math.Max(1, group.MaxServerPerHost);
}
