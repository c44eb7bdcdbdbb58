using Platform.Messaging;

namespace ComputeAgent;

/// <summary>The agent's configuration (nova.conf's DEFAULT and [compute] options it uses).</summary>
public sealed record ComputeSettings
{
    /// <summary>This service's host (its first fake host); the others are <c>&lt;host&gt;-&lt;k&gt;</c>.</summary>
    public required string Host { get; init; }

    /// <summary><c>fake:host_count</c>: compute hosts this one process plays.</summary>
    public int HostCount { get; init; } = 1;

    public TimeSpan ReportInterval { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan ResourceReportInterval { get; init; } = TimeSpan.FromSeconds(20);
    public double CpuAllocationRatio { get; init; } = 4.0;
    public double RamAllocationRatio { get; init; } = 1.0;
    public double DiskAllocationRatio { get; init; } = 1.0;
    public long ReservedHostMemoryMb { get; init; } = 512;
    public long ReservedHostDiskMb { get; init; }
    public int ReservedHostCpus { get; init; }
    public TimeSpan VifPluggingTimeout { get; init; } = TimeSpan.FromSeconds(300);
    public bool VifPluggingIsFatal { get; init; } = true;
    public string HostIp { get; init; } = "127.0.0.1";
    public string? AvailabilityZone { get; init; }

    /// <summary>How many times a build looks for a volume the compute API is still making (nova's block_device_allocate_retries).</summary>
    public int BlockDeviceAllocateRetries { get; init; } = 60;

    /// <summary>The longest pause between those looks (nova's block_device_allocate_retries_interval); the first ones come sooner.</summary>
    public TimeSpan BlockDeviceAllocateRetriesInterval { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Every host name this process serves, the configured one first.</summary>
    public IReadOnlyList<string> HostNames => [.. Enumerable.Range(1, Math.Max(1, HostCount)).Select(k => k == 1 ? Host : $"{Host}-{k}")];

    public static ComputeSettings FromConfiguration(IConfiguration c) => new()
    {
        Host = c[MessagingExtensions.HostKey] ?? Environment.MachineName,
        HostCount = c.GetValue("fake:host_count", 1),
        ReportInterval = Seconds(c, "report_interval", 10),
        ResourceReportInterval = Seconds(c, "compute:resource_report_interval", 20),
        CpuAllocationRatio = c.GetValue("compute:cpu_allocation_ratio", 4.0),
        RamAllocationRatio = c.GetValue("compute:ram_allocation_ratio", 1.0),
        DiskAllocationRatio = c.GetValue("compute:disk_allocation_ratio", 1.0),
        ReservedHostMemoryMb = c.GetValue("compute:reserved_host_memory_mb", 512L),
        ReservedHostDiskMb = c.GetValue("compute:reserved_host_disk_mb", 0L),
        ReservedHostCpus = c.GetValue("compute:reserved_host_cpus", 0),
        VifPluggingTimeout = Seconds(c, "compute:vif_plugging_timeout", 300),
        VifPluggingIsFatal = c.GetValue("compute:vif_plugging_is_fatal", true),
        HostIp = c["my_ip"] ?? "127.0.0.1",
        AvailabilityZone = c["compute:availability_zone"],
        BlockDeviceAllocateRetries = c.GetValue("block_device_allocate_retries", 60),
        BlockDeviceAllocateRetriesInterval = Seconds(c, "block_device_allocate_retries_interval", 3),
    };

    private static TimeSpan Seconds(IConfiguration c, string key, double fallback) => TimeSpan.FromSeconds(c.GetValue(key, fallback));
}
