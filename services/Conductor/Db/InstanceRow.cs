using Conductor.Contracts;
using Scheduler.Contracts;

namespace Conductor.Db;

/// <summary>
/// One row of <c>instances</c>. Flows change a copy in memory and save it whole with
/// <see cref="Instances.SaveAsync"/>, which bumps the version and publishes the event.
/// </summary>
public sealed class InstanceRow
{
    public const string Columns = """
        uuid, version, project_id, user_id, display_name, display_description, hostname, vm_state, task_state, power_state,
        host, node, availability_zone, flavor, image_ref, key_name, key_data, user_data, metadata, network_info, security_groups,
        tags, locked, locked_by, locked_reason, launch_index, reservation_id, config_drive, access_ip_v4, access_ip_v6, progress,
        fault, created_at, updated_at, launched_at, terminated_at, deleted, deleted_at, block_device_mapping, last_change_id
        """;

    public string Uuid { get; set; } = "";
    public long Version { get; set; }
    public string ProjectId { get; set; } = "";
    public string? UserId { get; set; }
    public string? DisplayName { get; set; }
    public string? DisplayDescription { get; set; }
    public string? Hostname { get; set; }
    public string VmState { get; set; } = VmStates.Building;
    public string? TaskState { get; set; }
    public int PowerState { get; set; }
    public string? Host { get; set; }
    public string? Node { get; set; }
    public string? AvailabilityZone { get; set; }
    public string Flavor { get; set; } = "{}";
    public string? ImageRef { get; set; }
    public string? KeyName { get; set; }
    public string? KeyData { get; set; }
    public string? UserData { get; set; }
    public string Metadata { get; set; } = "{}";
    public string NetworkInfo { get; set; } = "[]";
    public string BlockDeviceMapping { get; set; } = "[]";
    public string SecurityGroups { get; set; } = "[]";
    public string Tags { get; set; } = "[]";
    public bool Locked { get; set; }
    public string? LockedBy { get; set; }
    public string? LockedReason { get; set; }
    public int LaunchIndex { get; set; }
    public string? ReservationId { get; set; }
    public bool ConfigDrive { get; set; }
    public string? AccessIpV4 { get; set; }
    public string? AccessIpV6 { get; set; }
    public int Progress { get; set; }
    public string? Fault { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? UpdatedAt { get; set; }
    public DateTime? LaunchedAt { get; set; }
    public DateTime? TerminatedAt { get; set; }
    public bool Deleted { get; set; }
    public DateTime? DeletedAt { get; set; }

    /// <summary>The request (<see cref="InstanceUpdate.ChangeId"/>, <see cref="RequestInstanceAction.ChangeId"/>) that made this version, if one did.</summary>
    public string? LastChangeId { get; set; }

    public InstanceInfo ToInfo() => new()
    {
        Uuid = Uuid,
        Version = Version,
        ProjectId = ProjectId,
        UserId = UserId,
        DisplayName = DisplayName,
        DisplayDescription = DisplayDescription,
        Hostname = Hostname,
        VmState = VmState,
        TaskState = TaskState,
        PowerState = PowerState,
        Host = Host,
        Node = Node,
        AvailabilityZone = AvailabilityZone,
        Flavor = Json.Read(Flavor, new FlavorSpec { Id = "", Name = "" }),
        ImageRef = ImageRef,
        KeyName = KeyName,
        KeyData = KeyData,
        UserData = UserData,
        Metadata = Json.Read<Dictionary<string, string>>(Metadata, []),
        NetworkInfo = Json.Read<List<VifInfo>>(NetworkInfo, []),
        BlockDevices = Json.Read<List<BlockDeviceInfo>>(BlockDeviceMapping, []),
        SecurityGroups = Json.Read<List<string>>(SecurityGroups, []),
        Tags = Json.Read<List<string>>(Tags, []),
        Locked = Locked,
        LockedBy = LockedBy,
        LockedReason = LockedReason,
        LaunchIndex = LaunchIndex,
        ReservationId = ReservationId,
        ConfigDrive = ConfigDrive,
        AccessIpV4 = AccessIpV4,
        AccessIpV6 = AccessIpV6,
        Progress = Progress,
        Fault = Json.Read<FaultInfo?>(Fault, null),
        CreatedAt = Utc(CreatedAt),
        UpdatedAt = Utc(UpdatedAt),
        LaunchedAt = Utc(LaunchedAt),
        TerminatedAt = Utc(TerminatedAt),
        Deleted = Deleted,
        DeletedAt = Utc(DeletedAt),
    };

    private static DateTime Utc(DateTime t) => DateTime.SpecifyKind(t, DateTimeKind.Utc);

    private static DateTime? Utc(DateTime? t) => t is { } v ? Utc(v) : null;
}
