using Scheduler.Scheduling;

namespace Scheduler.Weighers;

/// <summary>
/// A scheduler weigher (nova's BaseHostWeigher): a raw weight per host; the scheduler
/// normalises each weigher's weights to 0..1 across the hosts (min-max) and adds them times
/// the weigher's multiplier. Higher is better.
/// </summary>
public interface IHostWeigher
{
    string Name { get; }

    double Multiplier(SchedulerOptions options);

    double Weigh(HostState host, SchedulingRequest request);

    /// <summary>False when this weigher would give every host the same weight for the request: it is then not run.</summary>
    bool AppliesTo(SchedulingRequest request) => true;
}
