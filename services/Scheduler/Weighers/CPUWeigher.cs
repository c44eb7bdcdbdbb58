using Scheduler.Scheduling;

namespace Scheduler.Weighers;

/// <summary>Free vCPUs (after the allocation ratio).</summary>
public sealed class CPUWeigher : IHostWeigher
{
    public string Name => nameof(CPUWeigher);

    public double Multiplier(SchedulerOptions options) => options.CpuWeightMultiplier;

    public double Weigh(HostState host, SchedulingRequest request) => host.FreeIn(0);
}
