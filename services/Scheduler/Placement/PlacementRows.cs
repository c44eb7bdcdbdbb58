namespace Scheduler.Placement;

/// <summary>An inventory row: what a provider holds of one resource class.</summary>
public sealed record InventoryRecord(string ResourceClass, long Total, long Reserved, long MinUnit, long MaxUnit, long StepSize, double AllocationRatio)
{
    /// <summary>What may be allocated in all: (total - reserved) * ratio, as placement counts it.</summary>
    public long Capacity { get; } = (long)Math.Floor((Total - Reserved) * AllocationRatio);

    /// <summary>Whether one allocation of <paramref name="amount"/> respects min_unit, max_unit and step_size.</summary>
    public bool AcceptsUnit(long amount) => amount >= MinUnit && amount <= MaxUnit && (StepSize <= 1 || amount % StepSize == 0);
}

/// <summary>One host's supported (architecture, hypervisor type, vm mode) triple.</summary>
public sealed record SupportedInstanceRecord(string Architecture, string HypervisorType, string VmMode);

/// <summary>A provider row joined with its host state, as the scheduler's view and ListComputeNodes read it.</summary>
public sealed class ProviderRow
{
    public long Id { get; init; }
    public string Uuid { get; init; } = "";
    public string Name { get; init; } = "";
    public long Generation { get; init; }
    public DateTime UpdatedAt { get; init; }
    public string? Host { get; init; }
    public string? HypervisorHostname { get; init; }
    public string? HypervisorType { get; init; }
    public long HypervisorVersion { get; init; }
    public string? HostIp { get; init; }
    public string? CpuInfo { get; init; }
    public string? SupportedInstances { get; init; }
    public int FailedBuilds { get; init; }
    public bool Disabled { get; init; }
    public string? DisabledReason { get; init; }
    public bool ForcedDown { get; init; }
    public DateTime? LastReportAt { get; init; }
}

/// <summary>A provider and everything the filters need about it, read in one snapshot.</summary>
public sealed record ProviderSnapshot(
    ProviderRow Row,
    IReadOnlyDictionary<string, InventoryRecord> Inventories,
    IReadOnlyDictionary<string, long> Used,
    int Consumers,
    IReadOnlySet<string> Traits,
    string? AvailabilityZone,
    IReadOnlyDictionary<string, string> AggregateMetadata);

/// <summary>What a claim did: claimed or why not; on success the providers' new generations.</summary>
/// <summary>What the scheduler claims on one provider, checked against its view of it at <see cref="Generation"/>.</summary>
public sealed record HostClaim(long ProviderId, string ProviderUuid, long Generation, IReadOnlyDictionary<string, long> Resources);

public sealed record ClaimOutcome(bool Claimed, string Reason, IReadOnlyDictionary<string, long> Generations, bool Conflict = false)
{
    /// <summary>The updated_at the claim gave the providers it touched.</summary>
    public DateTime UpdatedAt { get; init; }

    public static ClaimOutcome Refused(string reason, bool conflict = false) => new(false, reason, new Dictionary<string, long>(), conflict);
}

/// <summary>Bad input from a caller: gRPC answers InvalidArgument and nothing is written.</summary>
public sealed class PlacementInputException(string message) : Exception(message);
