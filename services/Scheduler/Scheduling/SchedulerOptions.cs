using System.Globalization;

namespace Scheduler.Scheduling;

/// <summary>
/// The scheduler's settings (nova.conf's [scheduler] and [filter_scheduler], plus
/// default_availability_zone), read once at start.
/// </summary>
public sealed record SchedulerOptions
{
    public static readonly IReadOnlyList<string> DefaultFilters =
    [
        "RetryFilter", "AvailabilityZoneFilter", "ComputeFilter", "ComputeCapabilitiesFilter", "ImagePropertiesFilter",
        "ServerGroupAntiAffinityFilter", "ServerGroupAffinityFilter",
    ];

    public static readonly IReadOnlyList<string> DefaultWeighers =
    [
        "RAMWeigher", "DiskWeigher", "CPUWeigher", "BuildFailureWeigher", "ServerGroupSoftAffinityWeigher", "ServerGroupSoftAntiAffinityWeigher",
    ];

    public int MaxAttempts { get; init; } = 3;
    public TimeSpan ServiceDownTime { get; init; } = TimeSpan.FromSeconds(60);
    public string DefaultAvailabilityZone { get; init; } = "nova";
    public IReadOnlyList<string> EnabledFilters { get; init; } = DefaultFilters;
    public IReadOnlyList<string> Weighers { get; init; } = DefaultWeighers;

    /// <summary>Pick the primary at random among the best N (nova's host_subset_size), so competing schedulers collide less.</summary>
    public int HostSubsetSize { get; init; } = 1;

    public double RamWeightMultiplier { get; init; } = 1.0;
    public double DiskWeightMultiplier { get; init; } = 1.0;
    public double CpuWeightMultiplier { get; init; } = 1.0;
    public double BuildFailureWeightMultiplier { get; init; } = 1_000_000.0;
    public double SoftAffinityWeightMultiplier { get; init; } = 1.0;
    public double SoftAntiAffinityWeightMultiplier { get; init; } = 1.0;

    /// <summary>How far back each refresh of the view looks beyond the last one, for transactions that committed late.</summary>
    public TimeSpan RefreshOverlap { get; init; } = TimeSpan.FromSeconds(2);

    public static SchedulerOptions FromConfiguration(IConfiguration c)
    {
        var d = new SchedulerOptions();
        return new SchedulerOptions
        {
            MaxAttempts = Math.Max(1, Int(c["scheduler:max_attempts"], d.MaxAttempts)),
            ServiceDownTime = TimeSpan.FromSeconds(Double(c["scheduler:service_down_time"] ?? c["service_down_time"], d.ServiceDownTime.TotalSeconds)),
            DefaultAvailabilityZone = NonEmpty(c["default_availability_zone"]) ?? NonEmpty(c["DEFAULT:default_availability_zone"]) ?? d.DefaultAvailabilityZone,
            EnabledFilters = List(c["filter_scheduler:enabled_filters"]) ?? d.EnabledFilters,
            Weighers = List(c["filter_scheduler:weight_classes"]) ?? d.Weighers,
            HostSubsetSize = Math.Max(1, Int(c["filter_scheduler:host_subset_size"], d.HostSubsetSize)),
            RamWeightMultiplier = Double(c["filter_scheduler:ram_weight_multiplier"], d.RamWeightMultiplier),
            DiskWeightMultiplier = Double(c["filter_scheduler:disk_weight_multiplier"], d.DiskWeightMultiplier),
            CpuWeightMultiplier = Double(c["filter_scheduler:cpu_weight_multiplier"], d.CpuWeightMultiplier),
            BuildFailureWeightMultiplier = Double(c["filter_scheduler:build_failure_weight_multiplier"], d.BuildFailureWeightMultiplier),
            SoftAffinityWeightMultiplier = Double(c["filter_scheduler:soft_affinity_weight_multiplier"], d.SoftAffinityWeightMultiplier),
            SoftAntiAffinityWeightMultiplier = Double(c["filter_scheduler:soft_anti_affinity_weight_multiplier"], d.SoftAntiAffinityWeightMultiplier),
            RefreshOverlap = TimeSpan.FromSeconds(Double(c["scheduler:refresh_overlap"], d.RefreshOverlap.TotalSeconds)),
        };
    }

    private static string? NonEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    private static int Int(string? s, int fallback) => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : fallback;

    private static double Double(string? s, double fallback) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : fallback;

    // Accepts nova's class paths too (nova.scheduler.filters.compute_filter.ComputeFilter).
    private static List<string>? List(string? s) => NonEmpty(s) is { } text
        ? [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(n => n[(n.LastIndexOf('.') + 1)..])]
        : null;
}
