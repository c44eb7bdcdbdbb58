using Scheduler.Contracts;

namespace Conductor.Contracts;

/// <summary>nova's vm_state values.</summary>
public static class VmStates
{
    public const string Building = "building";
    public const string Active = "active";
    public const string Stopped = "stopped";
    public const string Paused = "paused";
    public const string Suspended = "suspended";
    public const string Rescued = "rescued";
    public const string Resized = "resized";
    public const string SoftDeleted = "soft-delete";
    public const string Deleted = "deleted";
    public const string Error = "error";
    public const string Shelved = "shelved";
    public const string ShelvedOffloaded = "shelved_offloaded";
}

/// <summary>nova's task_state values (null when no task runs).</summary>
public static class TaskStates
{
    public const string Scheduling = "scheduling";
    public const string BlockDeviceMapping = "block_device_mapping";
    public const string Networking = "networking";
    public const string Spawning = "spawning";
    public const string ImageSnapshot = "image_snapshot";
    public const string ImageSnapshotPending = "image_snapshot_pending";
    public const string ImagePendingUpload = "image_pending_upload";
    public const string ImageUploading = "image_uploading";
    public const string Rebooting = "reboot_started";
    public const string RebootPending = "reboot_pending";
    public const string RebootingHard = "reboot_started_hard";
    public const string RebootPendingHard = "reboot_pending_hard";
    public const string Pausing = "pausing";
    public const string Unpausing = "unpausing";
    public const string Suspending = "suspending";
    public const string Resuming = "resuming";
    public const string PoweringOff = "powering-off";
    public const string PoweringOn = "powering-on";
    public const string Rebuilding = "rebuilding";
    public const string RebuildBlockDeviceMapping = "rebuild_block_device_mapping";
    public const string RebuildSpawning = "rebuild_spawning";
    public const string Deleting = "deleting";
}

/// <summary>nova's power_state values (the integers the API shows as OS-EXT-STS:power_state).</summary>
public static class PowerStates
{
    public const int NoState = 0;
    public const int Running = 1;
    public const int Paused = 3;
    public const int Shutdown = 4;
    public const int Crashed = 6;
    public const int Suspended = 7;
}

/// <summary>One fixed address of a port, as the server's <c>addresses</c> shows it.</summary>
public sealed record FixedAddress(string Address, int Version, string? SubnetId = null, string Type = "fixed");

/// <summary>One interface of an instance (an entry of nova's network_info).</summary>
public sealed record VifInfo
{
    public required string PortId { get; init; }
    public required string NetworkId { get; init; }

    /// <summary>The network's name: the key of the server's <c>addresses</c>.</summary>
    public string? NetworkLabel { get; init; }

    public string? MacAddress { get; init; }
    public IReadOnlyList<FixedAddress> Addresses { get; init; } = [];

    /// <summary>The user gave this port: when the instance goes it is unbound and kept, not deleted (nova's preserve_on_delete).</summary>
    public bool PreserveOnDelete { get; init; }
}

/// <summary>A fault kept on an instance (nova's instance_faults): shown as the server's <c>fault</c>.</summary>
public sealed record FaultInfo(int Code, string Message, string? Details, DateTime Created);

/// <summary>
/// One instance as the conductor keeps it (nova's Instance object). <see cref="Version"/> grows by
/// one on every change, so a reader can apply snapshots in order and drop older ones.
/// </summary>
public sealed record InstanceInfo
{
    public required string Uuid { get; init; }
    public long Version { get; init; }
    public required string ProjectId { get; init; }
    public string? UserId { get; init; }
    public string? DisplayName { get; init; }
    public string? DisplayDescription { get; init; }
    public string? Hostname { get; init; }
    public required string VmState { get; init; }
    public string? TaskState { get; init; }
    public int PowerState { get; init; }
    public string? Host { get; init; }
    public string? Node { get; init; }
    public string? AvailabilityZone { get; init; }
    public required FlavorSpec Flavor { get; init; }

    /// <summary>The image id; empty for a server booted from a volume.</summary>
    public string? ImageRef { get; init; }

    public string? KeyName { get; init; }
    public string? KeyData { get; init; }
    public string? UserData { get; init; }
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<VifInfo> NetworkInfo { get; init; } = [];

    /// <summary>The volumes the instance has or is getting (nova's block_device_mapping), boot volume first.</summary>
    public IReadOnlyList<BlockDeviceInfo> BlockDevices { get; init; } = [];
    public IReadOnlyList<string> SecurityGroups { get; init; } = [];
    public IReadOnlyList<string> Tags { get; init; } = [];
    public bool Locked { get; init; }
    public string? LockedBy { get; init; }
    public string? LockedReason { get; init; }
    public int LaunchIndex { get; init; }
    public string? ReservationId { get; init; }
    public bool ConfigDrive { get; init; }
    public string? AccessIpV4 { get; init; }
    public string? AccessIpV6 { get; init; }
    public int Progress { get; init; }
    public FaultInfo? Fault { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime? UpdatedAt { get; init; }
    public DateTime? LaunchedAt { get; init; }
    public DateTime? TerminatedAt { get; init; }
    public bool Deleted { get; init; }
    public DateTime? DeletedAt { get; init; }
}

/// <summary>
/// One volume of an instance (a row of nova's block_device_mapping, destination volume). The
/// compute API makes the volume (for an image, blank or snapshot source) or reserves it (for a
/// volume source) before the build; the host connects it and records its attachment.
/// </summary>
public sealed record BlockDeviceInfo
{
    public required string VolumeId { get; init; }

    /// <summary>The volume service's attachment: reserved by the API or the host, completed once the guest has the volume.</summary>
    public string? AttachmentId { get; init; }

    /// <summary>/dev/vda, /dev/vdb, ...</summary>
    public string? DeviceName { get; init; }

    /// <summary>0 for the boot volume; null (or negative) for a data volume.</summary>
    public int? BootIndex { get; init; }

    /// <summary>What the volume was made from: volume, image, snapshot or blank (nova's source_type).</summary>
    public string SourceType { get; init; } = "volume";

    public string? ImageId { get; init; }
    public string? SnapshotId { get; init; }
    public int? VolumeSize { get; init; }
    public bool DeleteOnTermination { get; init; }
    public string? Tag { get; init; }

    /// <summary>Set once the host has connected the volume and completed its attachment.</summary>
    public bool Attached { get; init; }

    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsRoot => BootIndex == 0;
}

/// <summary>Changes to an instance's block devices, as the conductor applies them.</summary>
public static class BlockDeviceChanges
{
    /// <summary>
    /// <paramref name="current"/> with <paramref name="set"/> put in place of the devices of the
    /// same volume (or added after them) and <paramref name="remove"/> taken out; the boot volume stays first.
    /// </summary>
    public static List<BlockDeviceInfo> Merge(IReadOnlyList<BlockDeviceInfo> current, IReadOnlyList<BlockDeviceInfo>? set, IReadOnlyList<string>? remove)
    {
        var result = new List<BlockDeviceInfo>(current);
        foreach (var device in set ?? [])
        {
            var at = result.FindIndex(d => d.VolumeId == device.VolumeId);
            if (at >= 0) result[at] = device;
            else result.Add(device);
        }
        if (remove is { Count: > 0 }) result.RemoveAll(d => remove.Contains(d.VolumeId));
        return [.. result.OrderBy(d => d.IsRoot ? 0 : 1)];
    }
}

/// <summary>A network the user asked for: a network (optionally with a fixed IP) or an existing port.</summary>
public sealed record RequestedNetwork(string? NetworkId, string? PortId = null, string? FixedIp = null);
