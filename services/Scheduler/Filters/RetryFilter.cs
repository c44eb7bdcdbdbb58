using Scheduler.Scheduling;

namespace Scheduler.Filters;

/// <summary>Skips the hosts an instance was already tried on (a reschedule's ignore list).</summary>
public sealed class RetryFilter : IHostFilter
{
    public string Name => nameof(RetryFilter);

    public bool AppliesTo(SchedulingRequest request) => request.Spec.IgnoreHosts.Count > 0;

    public bool HostPasses(HostState host, SchedulingRequest request)
    {
        foreach (var tried in request.Spec.IgnoreHosts)
            if (string.Equals(tried, host.Host, StringComparison.Ordinal) || string.Equals(tried, host.Nodename, StringComparison.Ordinal)) return false;
        return true;
    }
}
