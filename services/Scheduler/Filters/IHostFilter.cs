using Scheduler.Scheduling;

namespace Scheduler.Filters;

/// <summary>A scheduler filter (nova's BaseHostFilter): one yes or no per host and request.</summary>
public interface IHostFilter
{
    /// <summary>The name <c>[filter_scheduler] enabled_filters</c> gives it.</summary>
    string Name { get; }

    bool HostPasses(HostState host, SchedulingRequest request);

    /// <summary>False when the request asks nothing of this filter, so every host would pass: it is then not run at all.</summary>
    bool AppliesTo(SchedulingRequest request) => true;
}
