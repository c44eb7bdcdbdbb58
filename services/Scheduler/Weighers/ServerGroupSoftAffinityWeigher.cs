using Scheduler.Scheduling;

namespace Scheduler.Weighers;

/// <summary>soft-affinity: the more of the group's members on a host, the better.</summary>
public sealed class ServerGroupSoftAffinityWeigher : IHostWeigher
{
    public string Name => nameof(ServerGroupSoftAffinityWeigher);

    public double Multiplier(SchedulerOptions options) => options.SoftAffinityWeightMultiplier;

    public bool AppliesTo(SchedulingRequest request) => request.Spec.InstanceGroup is { Policy: "soft-affinity" } && request.GroupHosts.Count > 0;

    public double Weigh(HostState host, SchedulingRequest request) =>
        request.Spec.InstanceGroup is { Policy: "soft-affinity" } ? request.GroupMembersOn(host.Host) : 0;
}
