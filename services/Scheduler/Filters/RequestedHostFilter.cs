using Scheduler.Scheduling;

namespace Scheduler.Filters;

/// <summary>
/// An admin's requested destination (<c>host</c>, <c>zone:host</c> or <c>zone:host:node</c>):
/// only that host (and node). Applied on every request, whatever the enabled filters, as nova
/// applies a requested destination before its filters.
/// </summary>
public sealed class RequestedHostFilter : IHostFilter
{
    public string Name => nameof(RequestedHostFilter);

    public bool AppliesTo(SchedulingRequest request) => !string.IsNullOrEmpty(request.Spec.RequestedHost);

    public bool HostPasses(HostState host, SchedulingRequest request)
    {
        if (string.IsNullOrEmpty(request.Spec.RequestedHost)) return true;
        var (zone, name, node) = Parse(request.Spec.RequestedHost);
        if (zone is not null && !string.Equals(host.AvailabilityZone(request.Options.DefaultAvailabilityZone), zone, StringComparison.Ordinal)) return false;
        if (name is not null && !string.Equals(host.Host, name, StringComparison.Ordinal)) return false;
        return node is null || string.Equals(host.Nodename, node, StringComparison.Ordinal);
    }

    public static (string? Zone, string? Host, string? Node) Parse(string requested)
    {
        var parts = requested.Split(':');
        static string? Part(string[] p, int i) => i < p.Length && p[i].Length > 0 ? p[i] : null;
        return parts.Length == 1 ? (null, Part(parts, 0), null) : (Part(parts, 0), Part(parts, 1), Part(parts, 2));
    }
}
