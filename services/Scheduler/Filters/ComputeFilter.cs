using Scheduler.Scheduling;

namespace Scheduler.Filters;

/// <summary>Only hosts whose compute service is up, enabled and not forced down.</summary>
public sealed class ComputeFilter : IHostFilter
{
    public string Name => nameof(ComputeFilter);

    public bool HostPasses(HostState host, SchedulingRequest request) =>
        !host.Disabled && host.IsUp(request.Now, request.Options.ServiceDownTime);
}
