using Conductor.Contracts;

namespace Conductor.Services;

/// <summary>One row of <c>services</c> (nova's Service): a compute service and its heartbeat.</summary>
public sealed class ServiceRow
{
    public const string Columns = "id, uuid, host, `binary`, topic, availability_zone, disabled, disabled_reason, forced_down, last_seen_up, report_count, created_at, updated_at";

    public int Id { get; set; }
    public string Uuid { get; set; } = "";
    public string Host { get; set; } = "";
    public string Binary { get; set; } = "";
    public string? Topic { get; set; }
    public string? AvailabilityZone { get; set; }
    public bool Disabled { get; set; }
    public string? DisabledReason { get; set; }
    public bool ForcedDown { get; set; }
    public DateTime? LastSeenUp { get; set; }
    public int ReportCount { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? UpdatedAt { get; set; }

    public ComputeServiceInfo ToInfo(DateTime now, TimeSpan downTime) => new()
    {
        Id = Id,
        Uuid = Uuid,
        Host = Host,
        Binary = Binary,
        // nova's default_availability_zone for a compute host in no zoned aggregate.
        Zone = AvailabilityZone ?? (Binary == "nova-compute" ? "nova" : "internal"),
        Disabled = Disabled,
        DisabledReason = DisabledReason,
        ForcedDown = ForcedDown,
        Up = !ForcedDown && LastSeenUp is { } seen && now - seen <= downTime,
        UpdatedAt = UpdatedAt is { } u ? DateTime.SpecifyKind(u, DateTimeKind.Utc) : null,
    };

    /// <summary>nova's service_down_time (default 60 s): how long a silent service still counts as up.</summary>
    public static TimeSpan DownTime(IConfiguration configuration) =>
        TimeSpan.FromSeconds(double.TryParse(configuration["service_down_time"] ?? configuration["DEFAULT:service_down_time"], out var s) && s > 0 ? s : 60);
}
