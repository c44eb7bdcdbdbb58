namespace Volume.Contracts;

/// <summary>The volume service's queues, as cinder names its topics.</summary>
public static class Topics
{
    /// <summary>cinder-scheduler: where new volumes are placed. Competing schedulers share it.</summary>
    public const string Scheduler = "volume.scheduler";

    /// <summary>
    /// A backend worker's own queue for <c>&lt;host&gt;@&lt;backend&gt;</c> (cinder-volume's
    /// <c>cinder-volume.host@backend</c>): <c>volume.&lt;host&gt;.&lt;backend&gt;</c>, as a queue
    /// name may not hold an <c>@</c>. The one worker that owns that storage consumes it.
    /// </summary>
    public static string Backend(string backendHost) => $"volume.{backendHost.Replace('@', '.')}";

    /// <summary>The backend part of a volume's host, <c>host@backend#pool</c> without <c>#pool</c>.</summary>
    public static string BackendOf(string volumeHost) => volumeHost.Split('#')[0];
}

// ---- API -> scheduler ----

/// <summary>
/// create_volume (cast) to the scheduler: the API has written the volume row (status
/// <c>creating</c>, quota counted); the scheduler picks a backend and passes it on. Delivered at
/// least once: a volume that already has a host is not placed again.
/// </summary>
public sealed record ScheduleCreateVolume
{
    public required string VolumeId { get; init; }
    public required int Size { get; init; }
    public required string VolumeTypeId { get; init; }
    public IReadOnlyDictionary<string, string> ExtraSpecs { get; init; } = new Dictionary<string, string>();
    public string? AvailabilityZone { get; init; }

    /// <summary>Set when the volume is made from a snapshot or a volume: it goes to that backend.</summary>
    public string? SourceHost { get; init; }

    public string? SnapshotId { get; init; }
    public string? SourceVolumeId { get; init; }
    public string? ImageId { get; init; }
}

// ---- scheduler and API -> backend ----

/// <summary>create_volume (cast) to the backend chosen: empty, or from a snapshot, a volume or an image.</summary>
public sealed record CreateVolume
{
    public required string VolumeId { get; init; }
    public string? SnapshotId { get; init; }
    public string? SourceVolumeId { get; init; }
    public string? ImageId { get; init; }
}

/// <summary>delete_volume (cast): the volume is <c>deleting</c>; the backend removes its data and the row.</summary>
public sealed record DeleteVolume(string VolumeId);

/// <summary>
/// extend_volume (cast): the volume is <c>extending</c>, its row already at <see cref="NewSize"/>
/// GiB (so the quota counts it); a failure puts back <see cref="OldSize"/>.
/// </summary>
public sealed record ExtendVolume(string VolumeId, int OldSize, int NewSize);

/// <summary>create_snapshot (cast): the snapshot is <c>creating</c>.</summary>
public sealed record CreateSnapshot(string SnapshotId);

/// <summary>delete_snapshot (cast): the snapshot is <c>deleting</c>.</summary>
public sealed record DeleteSnapshot(string SnapshotId);

/// <summary>
/// initialize_connection (call): how the host described by <see cref="Connector"/> reaches the
/// volume. Answered with the connection info, as cinder's drivers answer it.
/// </summary>
public sealed record InitializeConnection(string VolumeId, IReadOnlyDictionary<string, string> Connector);

/// <summary>A volume's connection info: <c>driver_volume_type</c> and its <c>data</c> (for <c>file</c>, the path and format).</summary>
public sealed record VolumeConnection(string DriverVolumeType, IReadOnlyDictionary<string, string> Data);

/// <summary>terminate_connection (call): the host no longer uses the volume.</summary>
public sealed record TerminateConnection(string VolumeId, IReadOnlyDictionary<string, string> Connector);

public sealed record TerminateConnectionReply(bool Done);
