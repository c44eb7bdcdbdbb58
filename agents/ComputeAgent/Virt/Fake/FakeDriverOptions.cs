namespace ComputeAgent.Virt.Fake;

/// <summary>The <c>[fake]</c> section: the fake hypervisor's size, delays and injected failures.</summary>
public sealed record FakeDriverOptions
{
    public int Vcpus { get; init; } = 16;
    public long MemoryMb { get; init; } = 32768;
    public long LocalGb { get; init; } = 1024;
    public TimeSpan SpawnDelay { get; init; }

    /// <summary>Power operations: stop, start, reboot, pause, unpause, suspend, resume.</summary>
    public TimeSpan PowerDelay { get; init; }

    public TimeSpan DestroyDelay { get; init; }
    public TimeSpan SnapshotDelay { get; init; }
    public bool FailSpawnAll { get; init; }
    public IReadOnlySet<string> FailSpawnHosts { get; init; } = new HashSet<string>();
    public bool WaitForVifPlugged { get; init; }

    public static FakeDriverOptions FromConfiguration(IConfiguration c) => new()
    {
        Vcpus = c.GetValue("fake:vcpus", 16),
        MemoryMb = c.GetValue("fake:memory_mb", 32768L),
        LocalGb = c.GetValue("fake:local_gb", 1024L),
        SpawnDelay = TimeSpan.FromMilliseconds(c.GetValue("fake:spawn_delay_ms", 0)),
        PowerDelay = TimeSpan.FromMilliseconds(c.GetValue("fake:power_delay_ms", 0)),
        DestroyDelay = TimeSpan.FromMilliseconds(c.GetValue("fake:destroy_delay_ms", 0)),
        SnapshotDelay = TimeSpan.FromMilliseconds(c.GetValue("fake:snapshot_delay_ms", 0)),
        FailSpawnAll = c.GetValue("fake:fail_spawn_all", false),
        FailSpawnHosts = (c["fake:fail_spawn_hosts"] ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .ToHashSet(StringComparer.Ordinal),
        WaitForVifPlugged = c.GetValue("fake:wait_for_vif_plugged", false),
    };
}
