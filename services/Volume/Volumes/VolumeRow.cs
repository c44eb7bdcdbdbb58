namespace Volume.Volumes;

/// <summary>A row of the volumes table, as Dapper reads it (column names are cinder's).</summary>
public sealed class VolumeRow
{
    public string Id { get; set; } = "";
    public string ProjectId { get; set; } = "";
    public string UserId { get; set; } = "";
    public int Size { get; set; }
    public string Status { get; set; } = "";
    public string? PreviousStatus { get; set; }
    public string AttachStatus { get; set; } = "detached";
    public string? MigrationStatus { get; set; }
    public string? DisplayName { get; set; }
    public string? DisplayDescription { get; set; }
    public string? AvailabilityZone { get; set; }
    public string VolumeTypeId { get; set; } = "";
    public string? Host { get; set; }
    public string? SnapshotId { get; set; }
    public string? SourceVolid { get; set; }
    public string? GroupId { get; set; }
    public bool Bootable { get; set; }
    public bool Multiattach { get; set; }
    public bool UseQuota { get; set; } = true;
    public string? ProviderLocation { get; set; }
    public string? ProviderId { get; set; }
    public string? ServiceUuid { get; set; }
    public string? ReplicationStatus { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? UpdatedAt { get; set; }
    public DateTime? LaunchedAt { get; set; }
    public bool Deleted { get; set; }

    /// <summary>The backend the volume lives on (<c>host@backend</c>), null until scheduled.</summary>
    public string? Backend => Host is null ? null : Volume.Contracts.Topics.BackendOf(Host);
}

/// <summary>The statuses a volume passes through, as cinder names them.</summary>
public static class VolumeStatus
{
    public const string Creating = "creating";
    public const string Available = "available";
    public const string Reserved = "reserved";
    public const string Attaching = "attaching";
    public const string InUse = "in-use";
    public const string Detaching = "detaching";
    public const string Deleting = "deleting";
    public const string Error = "error";
    public const string ErrorDeleting = "error_deleting";
    public const string Extending = "extending";
    public const string ErrorExtending = "error_extending";
    public const string Downloading = "downloading";

    /// <summary>What an admin may set with os-reset_status (cinder's list).</summary>
    public static readonly IReadOnlyList<string> Resettable =
        ["available", "error", "creating", "deleting", "in-use", "attaching", "detaching", "error_deleting", "maintenance", "reserved", "error_extending", "extending", "downloading"];

    /// <summary>A volume may be deleted from these (cinder's delete without force).</summary>
    public static readonly IReadOnlyList<string> Deletable = ["available", "error", "error_restoring", "error_extending", "error_managing"];
}
