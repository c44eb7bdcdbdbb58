using Scheduler.Scheduling;

namespace Scheduler.Weighers;

/// <summary>Free local disk.</summary>
public sealed class DiskWeigher : IHostWeigher
{
    public string Name => nameof(DiskWeigher);

    public double Multiplier(SchedulerOptions options) => options.DiskWeightMultiplier;

    public double Weigh(HostState host, SchedulingRequest request) => host.FreeIn(2);
}
