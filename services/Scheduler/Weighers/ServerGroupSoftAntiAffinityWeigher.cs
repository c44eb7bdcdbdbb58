using Scheduler.Scheduling;

namespace Scheduler.Weighers;

/// <summary>soft-anti-affinity: the fewer of the group's members on a host, the better.</summary>
public sealed class ServerGroupSoftAntiAffinityWeigher : IHostWeigher
{
    public string Name => nameof(ServerGroupSoftAntiAffinityWeigher);

    public double Multiplier(SchedulerOptions options) => options.SoftAntiAffinityWeightMultiplier;

    public bool AppliesTo(SchedulingRequest request) => request.Spec.InstanceGroup is { Policy: "soft-anti-affinity" } && request.GroupHosts.Count > 0;

    public double Weigh(HostState host, SchedulingRequest request) =>
        request.Spec.InstanceGroup is { Policy: "soft-anti-affinity" } ? -request.GroupMembersOn(host.Host) : 0;
}
