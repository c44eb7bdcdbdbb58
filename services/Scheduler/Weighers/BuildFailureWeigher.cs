using Scheduler.Scheduling;

namespace Scheduler.Weighers;

/// <summary>Hosts whose recent builds failed go last: the large default multiplier outweighs the rest.</summary>
public sealed class BuildFailureWeigher : IHostWeigher
{
    public string Name => nameof(BuildFailureWeigher);

    public double Multiplier(SchedulerOptions options) => options.BuildFailureWeightMultiplier;

    public double Weigh(HostState host, SchedulingRequest request) => -host.FailedBuilds;
}
