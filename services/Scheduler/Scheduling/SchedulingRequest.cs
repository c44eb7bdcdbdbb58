using Scheduler.Contracts;
using Scheduler.Placement;

namespace Scheduler.Scheduling;

/// <summary>
/// One instance's placement as filters and weighers see it: the spec, the resources it asks of
/// placement, the group's hosts so far (grown as earlier instances of the request are placed).
/// </summary>
public sealed class SchedulingRequest
{
    public required RequestSpec Spec { get; init; }
    public required IReadOnlyDictionary<string, long> Resources { get; init; }
    public required SchedulerOptions Options { get; init; }
    public DateTime Now { get; init; } = DateTime.UtcNow;

    /// <summary>Hosts of the group's members, one entry per member.</summary>
    public List<string> GroupHosts { get; init; } = [];

    public int GroupMembersOn(string host)
    {
        var n = 0;
        foreach (var h in GroupHosts) if (string.Equals(h, host, StringComparison.Ordinal)) n++;
        return n;
    }

    /// <summary>
    /// What a flavor asks of placement: VCPU, MEMORY_MB, and DISK_GB for the local disks (root,
    /// ephemeral, swap rounded up to GB; no root disk for a volume-backed server).
    /// </summary>
    public static Dictionary<string, long> ResourcesOf(FlavorSpec flavor, bool isBfv)
    {
        var disk = (long)flavor.EphemeralGb + (flavor.SwapMb + 1023) / 1024 + (isBfv ? 0 : flavor.RootGb);
        var resources = new Dictionary<string, long>(StringComparer.Ordinal);
        if (flavor.Vcpus > 0) resources[ResourceClasses.Vcpu] = flavor.Vcpus;
        if (flavor.MemoryMb > 0) resources[ResourceClasses.MemoryMb] = flavor.MemoryMb;
        if (disk > 0) resources[ResourceClasses.DiskGb] = disk;
        return resources;
    }
}
