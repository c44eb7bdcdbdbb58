using Scheduler.Scheduling;

namespace Scheduler.Filters;

/// <summary>A group with the affinity policy: once a member runs somewhere, only those hosts.</summary>
public sealed class ServerGroupAffinityFilter : IHostFilter
{
    public string Name => nameof(ServerGroupAffinityFilter);

    public bool AppliesTo(SchedulingRequest request) => request.Spec.InstanceGroup is { Policy: "affinity" } && request.GroupHosts.Count > 0;

    public bool HostPasses(HostState host, SchedulingRequest request) =>
        request.Spec.InstanceGroup is not { Policy: "affinity" } || request.GroupHosts.Count == 0 || request.GroupMembersOn(host.Host) > 0;
}
