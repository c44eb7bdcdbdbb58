namespace Scheduler.Contracts;

/// <summary>The scheduler's queue: select_destinations calls from the conductor (competing schedulers share it).</summary>
public static class Topics
{
    public const string Scheduler = "scheduler";
}

/// <summary>A flavor as the scheduler and the hosts see it, copied into every request (nova's Flavor object).</summary>
public sealed record FlavorSpec
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public int Vcpus { get; init; }
    public int MemoryMb { get; init; }
    public int RootGb { get; init; }
    public int EphemeralGb { get; init; }
    public int SwapMb { get; init; }
    public float RxtxFactor { get; init; } = 1;
    public bool IsPublic { get; init; } = true;
    public string? Description { get; init; }
    public IReadOnlyDictionary<string, string> ExtraSpecs { get; init; } = new Dictionary<string, string>();
}

/// <summary>What the scheduler and the hosts need of an image (nova's ImageMeta): its id, sizes and properties.</summary>
public sealed record ImageSpec
{
    public string? Id { get; init; }
    public string? Name { get; init; }
    public string? DiskFormat { get; init; }
    public string? ContainerFormat { get; init; }
    public long Size { get; init; }
    public int MinDisk { get; init; }
    public int MinRam { get; init; }
    public string? Checksum { get; init; }

    /// <summary>The image's additional properties (hw_architecture, img_hv_type, hw_vm_mode, os_*).</summary>
    public IReadOnlyDictionary<string, string> Properties { get; init; } = new Dictionary<string, string>();
}

/// <summary>The server group an instance is built in, with the hosts its members already run on.</summary>
public sealed record InstanceGroupSpec
{
    public required string Uuid { get; init; }

    /// <summary>affinity, anti-affinity, soft-affinity or soft-anti-affinity.</summary>
    public required string Policy { get; init; }

    /// <summary>anti-affinity's max_server_per_host (2.64+); 1 when unset.</summary>
    public int MaxServerPerHost { get; init; } = 1;

    /// <summary>Hosts of the group's other members (one entry per member, so counts matter).</summary>
    public IReadOnlyList<string> Hosts { get; init; } = [];
}

/// <summary>
/// What to place (nova's RequestSpec): the resources come from the flavor, the constraints from the
/// image, zone, group, hints and the hosts already tried.
/// </summary>
public sealed record RequestSpec
{
    public required string InstanceUuid { get; init; }
    public required string ProjectId { get; init; }
    public string? UserId { get; init; }
    public required FlavorSpec Flavor { get; init; }
    public ImageSpec Image { get; init; } = new();
    public string? AvailabilityZone { get; init; }
    public InstanceGroupSpec? InstanceGroup { get; init; }
    public IReadOnlyDictionary<string, IReadOnlyList<string>> SchedulerHints { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>Hosts tried before for this instance (the RetryFilter's list).</summary>
    public IReadOnlyList<string> IgnoreHosts { get; init; } = [];

    /// <summary>An admin's <c>zone:host</c> or <c>host</c> request: only this host.</summary>
    public string? RequestedHost { get; init; }

    /// <summary>Zero for a volume-backed server: its root disk is not local.</summary>
    public bool IsBfv { get; init; }
}

/// <summary>
/// select_destinations: places <see cref="InstanceUuids"/> (one spec, many instances for min/max
/// count), claims each primary's allocation, and answers each with its host and alternates.
/// </summary>
public sealed record SelectDestinations
{
    public required RequestSpec Spec { get; init; }
    public required IReadOnlyList<string> InstanceUuids { get; init; }
    public bool ReturnAlternates { get; init; } = true;
}

/// <summary>
/// One place an instance can go (nova's Selection). The primary's allocation is already claimed;
/// an alternate's <see cref="Allocation"/> is what to claim if the conductor falls back to it.
/// </summary>
public sealed record Selection
{
    public required string ServiceHost { get; init; }
    public required string Nodename { get; init; }
    public required string ComputeNodeUuid { get; init; }
    public string? AvailabilityZone { get; init; }
    public IReadOnlyDictionary<string, long> Allocation { get; init; } = new Dictionary<string, long>();
}

/// <summary>
/// The answer: per instance (in request order) the primary first, then alternates. Or, when the
/// request cannot be placed at all, <see cref="NoValidHostReason"/> and no claims.
/// </summary>
public sealed record SelectDestinationsReply
{
    public IReadOnlyList<IReadOnlyList<Selection>> Selections { get; init; } = [];
    public string? NoValidHostReason { get; init; }
}

/// <summary>No host passes the filters or has room (nova's NoValidHost).</summary>
public sealed class NoValidHostException(string reason) : Exception($"No valid host was found. {reason}".TrimEnd())
{
    public string Reason { get; } = reason;
}
