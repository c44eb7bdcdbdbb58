using Scheduler.Scheduling;

namespace Scheduler.Weighers;

/// <summary>Free RAM: with a positive multiplier, spreads instances; negative, stacks them.</summary>
public sealed class RAMWeigher : IHostWeigher
{
    public string Name => nameof(RAMWeigher);

    public double Multiplier(SchedulerOptions options) => options.RamWeightMultiplier;

    public double Weigh(HostState host, SchedulingRequest request) => host.FreeIn(1);
}
