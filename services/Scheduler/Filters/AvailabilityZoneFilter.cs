using Scheduler.Scheduling;

namespace Scheduler.Filters;

/// <summary>Only hosts in the requested availability zone (from their aggregates, else the default zone).</summary>
public sealed class AvailabilityZoneFilter : IHostFilter
{
    public string Name => nameof(AvailabilityZoneFilter);

    public bool AppliesTo(SchedulingRequest request) => !string.IsNullOrEmpty(request.Spec.AvailabilityZone);

    public bool HostPasses(HostState host, SchedulingRequest request)
    {
        var zone = request.Spec.AvailabilityZone;
        if (string.IsNullOrEmpty(zone)) return true;
        // "zone:host" asks for a host too; the zone is the part before the colon.
        var colon = zone.IndexOf(':', StringComparison.Ordinal);
        if (colon == 0) return true;
        if (colon > 0) zone = zone[..colon];
        return string.Equals(host.AvailabilityZone(request.Options.DefaultAvailabilityZone), zone, StringComparison.Ordinal);
    }
}
