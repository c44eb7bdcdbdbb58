using System.Text.Json;
using System.Text.Json.Serialization;

namespace Volume.Scheduling;

/// <summary>
/// What a backend last reported of its one pool (cinder's pool stats), kept as JSON in its
/// service row's <c>capabilities</c>: capacity in GiB, how far it may be oversubscribed, and the
/// capabilities a volume type's extra specs are matched against.
/// </summary>
public sealed record PoolStats
{
    [JsonPropertyName("pool_name")] public required string PoolName { get; init; }
    [JsonPropertyName("volume_backend_name")] public required string VolumeBackendName { get; init; }
    [JsonPropertyName("storage_protocol")] public required string StorageProtocol { get; init; }
    [JsonPropertyName("vendor_name")] public string VendorName { get; init; } = "Platform";
    [JsonPropertyName("driver_version")] public string DriverVersion { get; init; } = "1.0";
    [JsonPropertyName("total_capacity_gb")] public double TotalCapacityGb { get; init; }
    [JsonPropertyName("free_capacity_gb")] public double FreeCapacityGb { get; init; }
    [JsonPropertyName("allocated_capacity_gb")] public long AllocatedCapacityGb { get; init; }
    [JsonPropertyName("provisioned_capacity_gb")] public long ProvisionedCapacityGb { get; init; }
    [JsonPropertyName("max_over_subscription_ratio")] public double MaxOverSubscriptionRatio { get; init; } = 20.0;
    [JsonPropertyName("reserved_percentage")] public int ReservedPercentage { get; init; }
    [JsonPropertyName("thin_provisioning_support")] public bool ThinProvisioningSupport { get; init; } = true;
    [JsonPropertyName("thick_provisioning_support")] public bool ThickProvisioningSupport { get; init; }
    [JsonPropertyName("multiattach")] public bool Multiattach { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this);

    public static PoolStats? FromJson(string? json) => string.IsNullOrEmpty(json) ? null : JsonSerializer.Deserialize<PoolStats>(json);

    /// <summary>Every capability by name, as strings, for matching extra specs.</summary>
    public IReadOnlyDictionary<string, string> Capabilities() =>
        JsonSerializer.SerializeToElement(this).EnumerateObject().ToDictionary(p => p.Name,
            p => p.Value.ValueKind switch
            {
                JsonValueKind.String => p.Value.GetString()!,
                JsonValueKind.True => "True",
                JsonValueKind.False => "False",
                _ => p.Value.GetRawText(),
            });
}

/// <summary>A backend as the scheduler weighs it: its service row and its pool's stats, with what is allocated on it now.</summary>
public sealed record BackendState(string Host, string AvailabilityZone, PoolStats Pool, long AllocatedGb)
{
    /// <summary>The host a volume placed here records: <c>host@backend#pool</c>.</summary>
    public string VolumeHost => $"{Host}#{Pool.PoolName}";

    /// <summary>cinder's free capacity after the reserved share.</summary>
    public double UsableFreeGb => Pool.FreeCapacityGb - Math.Floor(Pool.TotalCapacityGb * Pool.ReservedPercentage / 100.0);

    /// <summary>
    /// What thin provisioning still allows: total × ratio less what is provisioned, less the
    /// reserved share (cinder's virtual free capacity); thick pools have only their free space.
    /// </summary>
    public double VirtualFreeGb => Pool.ThinProvisioningSupport && Pool.MaxOverSubscriptionRatio >= 1
        ? Pool.TotalCapacityGb * Pool.MaxOverSubscriptionRatio - AllocatedGb - Math.Floor(Pool.TotalCapacityGb * Pool.ReservedPercentage / 100.0)
        : UsableFreeGb;
}
