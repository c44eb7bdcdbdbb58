using System.Globalization;

namespace Volume.Common;

/// <summary>
/// The volume service's own options, read as cinder names them in its <c>[DEFAULT]</c> section
/// (here the file's top level, or <c>[DEFAULT]</c>): which roles this process runs, its host,
/// its zone, the default type, and how often and how long services report.
/// </summary>
public sealed record VolumeSettings
{
    public const string ApiRole = "api";
    public const string SchedulerRole = "scheduler";
    public const string BackendRole = "backend";

    /// <summary>What this process runs (<c>--roles api,scheduler,backend</c>; all three by default).</summary>
    public IReadOnlySet<string> Roles { get; init; } = new HashSet<string> { ApiRole, SchedulerRole, BackendRole };

    /// <summary>This process's host name (<c>host</c>), the first part of its backends' <c>host@backend</c>.</summary>
    public string Host { get; init; } = Environment.MachineName;

    /// <summary>The zone this process's services are in (<c>storage_availability_zone</c>).</summary>
    public string StorageAvailabilityZone { get; init; } = "nova";

    /// <summary>The zone of a volume created without one (<c>default_availability_zone</c>; the storage zone when unset).</summary>
    public string DefaultAvailabilityZone { get; init; } = "nova";

    /// <summary>The type of a volume created without one (<c>default_volume_type</c>).</summary>
    public string DefaultVolumeType { get; init; } = "__DEFAULT__";

    /// <summary>How often a service writes its heartbeat and, for a backend, its capacity (<c>report_interval</c>).</summary>
    public TimeSpan ReportInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A service whose heartbeat is older than this is down (<c>service_down_time</c>).</summary>
    public TimeSpan ServiceDownTime { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The backends this process runs (<c>enabled_backends</c>), each configured in its own section.</summary>
    public IReadOnlyList<string> EnabledBackends { get; init; } = ["file"];

    public bool Runs(string role) => Roles.Contains(role);

    public static VolumeSettings From(IConfiguration c)
    {
        string? Get(string key) => c[key] is { Length: > 0 } v ? v : c[$"DEFAULT:{key}"] is { Length: > 0 } d ? d : null;
        double Seconds(string key, double fallback) =>
            double.TryParse(Get(key), NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0 ? s : fallback;
        var defaults = new VolumeSettings();
        var storageZone = Get("storage_availability_zone") ?? defaults.StorageAvailabilityZone;
        var roles = Get("roles")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unknown = roles?.Where(r => r is not (ApiRole or SchedulerRole or BackendRole)).ToList();
        if (unknown is { Count: > 0 }) throw new InvalidOperationException($"unknown role(s) {string.Join(", ", unknown)}: roles are api, scheduler and backend");
        return new VolumeSettings
        {
            Roles = roles is { Length: > 0 } ? roles.ToHashSet() : defaults.Roles,
            Host = c["host"] ?? defaults.Host,
            StorageAvailabilityZone = storageZone,
            DefaultAvailabilityZone = Get("default_availability_zone") ?? storageZone,
            DefaultVolumeType = Get("default_volume_type") ?? defaults.DefaultVolumeType,
            ReportInterval = TimeSpan.FromSeconds(Seconds("report_interval", 10)),
            ServiceDownTime = TimeSpan.FromSeconds(Seconds("service_down_time", 60)),
            EnabledBackends = Get("enabled_backends")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? defaults.EnabledBackends,
        };
    }
}
