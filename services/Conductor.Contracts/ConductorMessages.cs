using Scheduler.Contracts;

namespace Conductor.Contracts;

/// <summary>The conductor's queue (competing conductors share it).</summary>
public static class Topics
{
    /// <summary>Builds and what the compute API asks.</summary>
    public const string Conductor = "conductor";

    /// <summary>
    /// What compute agents ask (state changes, action events, service reports): a queue of its
    /// own, so an agent finishing a build never waits behind builds waiting on the scheduler.
    /// </summary>
    public const string ConductorCompute = "conductor.compute";
}

// ---- From the compute API ----

/// <summary>One instance of a create request (min/max count makes several).</summary>
public sealed record InstanceToBuild(string Uuid, string DisplayName, string? Hostname, int LaunchIndex)
{
    /// <summary>This instance's volumes, already made or reserved by the compute API.</summary>
    public IReadOnlyList<BlockDeviceInfo> BlockDevices { get; init; } = [];
}

/// <summary>
/// build_instances (cast): the compute API has accepted a create and keeps build requests for
/// <see cref="Instances"/>; the conductor creates the instances, schedules them and starts the
/// builds. Delivered at least once: the conductor does nothing twice for the same instance.
/// </summary>
public sealed record BuildInstances
{
    public required IReadOnlyList<InstanceToBuild> Instances { get; init; }
    public required string ProjectId { get; init; }
    public required string UserId { get; init; }
    public required FlavorSpec Flavor { get; init; }
    public required ImageSpec Image { get; init; }
    public string? AvailabilityZone { get; init; }
    public string? RequestedHost { get; init; }
    public string? KeyName { get; init; }
    public string? KeyData { get; init; }
    public string? UserData { get; init; }
    public string? Description { get; init; }
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>Networks to plug; empty with <see cref="NoNetworks"/> false means the project's usable networks ("auto").</summary>
    public IReadOnlyList<RequestedNetwork> Networks { get; init; } = [];

    public bool NoNetworks { get; init; }
    public IReadOnlyList<string> SecurityGroups { get; init; } = ["default"];
    public IReadOnlyDictionary<string, IReadOnlyList<string>> SchedulerHints { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>The server group (from the <c>group</c> hint); the conductor fills in its members' hosts.</summary>
    public InstanceGroupSpec? InstanceGroup { get; init; }

    /// <summary>Uuids of the group's members, whose hosts the group policy looks at.</summary>
    public IReadOnlyList<string> InstanceGroupMembers { get; init; } = [];

    public IReadOnlyList<string> Tags { get; init; } = [];
    public bool ConfigDrive { get; init; }
    public string? ReservationId { get; init; }
    public string? AccessIpV4 { get; init; }
    public string? AccessIpV6 { get; init; }
}

/// <summary>Actions on an existing instance, as nova's compute API names them.</summary>
public static class InstanceActions
{
    public const string Create = "create";
    public const string Delete = "delete";
    public const string Start = "start";
    public const string Stop = "stop";
    public const string Reboot = "reboot";
    public const string Pause = "pause";
    public const string Unpause = "unpause";
    public const string Suspend = "suspend";
    public const string Resume = "resume";
    public const string Lock = "lock";
    public const string Unlock = "unlock";
    public const string Rebuild = "rebuild";
    public const string CreateImage = "createImage";
    public const string Update = "update";
    public const string AttachVolume = "attach_volume";
    public const string DetachVolume = "detach_volume";
}

/// <summary>
/// An action on an instance (call). The conductor checks the state (compare-and-set on
/// vm_state/task_state), records the instance action, and casts the work to the instance's host.
/// </summary>
public sealed record RequestInstanceAction
{
    public required string InstanceUuid { get; init; }

    /// <summary>Names this request, so that a conductor given it again after a crash answers it as accepted (see <see cref="InstanceUpdate.ChangeId"/>).</summary>
    public string ChangeId { get; init; } = Guid.NewGuid().ToString();

    /// <summary>One of <see cref="InstanceActions"/>.</summary>
    public required string Action { get; init; }

    /// <summary>SOFT or HARD, for reboot.</summary>
    public string? RebootType { get; init; }

    /// <summary>The new image, for rebuild.</summary>
    public ImageSpec? Image { get; init; }

    /// <summary>New name, for rebuild or update.</summary>
    public string? DisplayName { get; init; }

    /// <summary>New description, for update (null: unchanged).</summary>
    public string? DisplayDescription { get; init; }

    /// <summary>New metadata (replaces), for rebuild, update or the metadata API.</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>New tags (replaces), for the tags API.</summary>
    public IReadOnlyList<string>? Tags { get; init; }

    /// <summary>The image record already created for the snapshot, for createImage.</summary>
    public string? SnapshotImageId { get; init; }

    public string? LockedReason { get; init; }

    /// <summary>The volume to attach (attach_volume: its attachment already reserved) or detach (detach_volume: only its id is read).</summary>
    public BlockDeviceInfo? Volume { get; init; }

    /// <summary>Who asks, for lock ("owner" or "admin") and for the action's record.</summary>
    public bool CallerIsAdmin { get; init; }
}

/// <summary>
/// The outcome: accepted, or refused because the instance is in a state the action does not
/// allow (nova's InstanceInvalidState, a 409), is locked, or does not exist.
/// </summary>
public sealed record InstanceActionReply
{
    public bool Accepted { get; init; }
    public bool NotFound { get; init; }
    public string? ConflictMessage { get; init; }
    public InstanceInfo? Instance { get; init; }
}

/// <summary>os-getConsoleOutput (call): the last <see cref="Length"/> lines, or all of it.</summary>
public sealed record GetConsoleOutput(string InstanceUuid, int? Length);

public sealed record ConsoleOutputReply(string? Output, bool NotFound = false, string? ConflictMessage = null);

/// <summary>os-instance-actions (call): the instance's actions, newest first, with their events.</summary>
public sealed record ListInstanceActions(string InstanceUuid);

public sealed record InstanceActionEventInfo(string Event, DateTime StartTime, DateTime? FinishTime, string? Result, string? Traceback, string? Host);

public sealed record InstanceActionInfo(string Action, string InstanceUuid, string RequestId, string? UserId, string? ProjectId,
    DateTime StartTime, DateTime? UpdatedAt, string? Message, IReadOnlyList<InstanceActionEventInfo> Events);

public sealed record InstanceActionsReply(IReadOnlyList<InstanceActionInfo> Actions, bool NotFound = false);

/// <summary>One os-server-external-events entry (network-vif-plugged and friends).</summary>
public sealed record ExternalEvent(string InstanceUuid, string Name, string? Tag, string Status);

/// <summary>
/// External events (cast): the conductor hands each to the host of its instance. Events for
/// instances with no host yet are dropped, as nova does.
/// </summary>
public sealed record ExternalInstanceEvents(IReadOnlyList<ExternalEvent> Events);

// ---- os-services ----

public sealed record ComputeServiceInfo
{
    public required int Id { get; init; }
    public required string Uuid { get; init; }
    public required string Host { get; init; }
    public required string Binary { get; init; }
    public string? Zone { get; init; }
    public bool Disabled { get; init; }
    public string? DisabledReason { get; init; }
    public bool ForcedDown { get; init; }

    /// <summary>Heard from within service_down_time and not forced down.</summary>
    public bool Up { get; init; }
    public DateTime? UpdatedAt { get; init; }
}

/// <summary>os-services list (call).</summary>
public sealed record ListComputeServices(string? Host = null, string? Binary = null);

public sealed record ComputeServicesReply(IReadOnlyList<ComputeServiceInfo> Services);

/// <summary>os-services update (call): disable/enable with a reason, force down; null leaves a field alone.</summary>
public sealed record UpdateComputeService
{
    public string? Uuid { get; init; }
    public string? Host { get; init; }
    public string? Binary { get; init; }
    public bool? Disabled { get; init; }
    public string? DisabledReason { get; init; }
    public bool? ForcedDown { get; init; }
}

/// <summary>The service after the change, or null when there is no such service.</summary>
public sealed record UpdateComputeServiceReply(ComputeServiceInfo? Service);

/// <summary>os-services delete (call).</summary>
public sealed record DeleteComputeService(string Uuid);

public sealed record DeleteComputeServiceReply(bool Deleted, string? ConflictMessage = null);

// ---- From compute agents ----

/// <summary>
/// A compute service's heartbeat (call, every <c>report_interval</c>): registers the service on
/// first sight and answers whether it is disabled or forced down.
/// </summary>
public sealed record ComputeServiceReport(string Host, string Binary, string? AvailabilityZone, bool StartFlag);

public sealed record ComputeServiceReportReply(string ServiceUuid, bool Disabled, bool ForcedDown);

/// <summary>
/// The fields an agent changes; null leaves a field as it is. <see cref="SetTaskState"/> says
/// whether <see cref="TaskState"/> is meant (null is a real value: no task).
/// </summary>
public sealed record InstanceChanges
{
    public string? VmState { get; init; }
    public bool SetTaskState { get; init; }
    public string? TaskState { get; init; }
    public int? PowerState { get; init; }
    public string? Host { get; init; }
    public string? Node { get; init; }
    public DateTime? LaunchedAt { get; init; }
    public DateTime? TerminatedAt { get; init; }
    public IReadOnlyList<VifInfo>? NetworkInfo { get; init; }

    /// <summary>Block devices added or replaced (matched by volume id).</summary>
    public IReadOnlyList<BlockDeviceInfo>? SetBlockDevices { get; init; }

    /// <summary>Volume ids whose block devices go.</summary>
    public IReadOnlyList<string>? RemoveBlockDevices { get; init; }

    public string? ImageRef { get; init; }
    public int? Progress { get; init; }

    /// <summary>A fault to record (and show, while the instance is in ERROR).</summary>
    public FaultInfo? Fault { get; init; }

    /// <summary>Soft-deletes the instance (after its host destroyed it).</summary>
    public bool Deleted { get; init; }
}

/// <summary>
/// instance_update (call): the one way an agent changes an instance. With
/// <see cref="ExpectedTaskStates"/> set, the change applies only if the task state is one of them
/// (null in the list means "no task"), as nova's <c>instance.save(expected_task_state=...)</c>.
/// </summary>
public sealed record InstanceUpdate
{
    public required string InstanceUuid { get; init; }
    public IReadOnlyList<string?>? ExpectedTaskStates { get; init; }
    public required InstanceChanges Changes { get; init; }

    /// <summary>An action event recorded with the change, in its transaction, when the change is made (saves the agent a call).</summary>
    public RecordActionEvent? ActionEvent { get; init; }

    /// <summary>
    /// Names this change. A conductor that dies after its commit and before its answer gets the
    /// same message again; it finds this id on the instance (if nothing changed it since) and
    /// answers "updated" rather than refusing its own change for an unexpected task state.
    /// </summary>
    public string ChangeId { get; init; } = Guid.NewGuid().ToString();
}

public sealed record InstanceUpdateReply
{
    public bool Updated { get; init; }
    public bool NotFound { get; init; }

    /// <summary>The instance after the update, or as it is when the expected task state did not match.</summary>
    public InstanceInfo? Instance { get; init; }
}

/// <summary>An event of an instance action (nova's instance_actions_events), started or finished on a host.</summary>
public sealed record RecordActionEvent
{
    public required string InstanceUuid { get; init; }

    /// <summary>The action's request id (the global request id of the API call that started it).</summary>
    public required string RequestId { get; init; }

    /// <summary>compute_build_and_run_instance, compute_stop_instance, ...</summary>
    public required string Event { get; init; }

    public required string Host { get; init; }
    public bool Finished { get; init; }

    /// <summary>Success or Error, when finished.</summary>
    public string? Result { get; init; }

    public string? Traceback { get; init; }
}

public sealed record RecordActionEventReply(bool Recorded);

/// <summary>
/// A build failed on <see cref="FailedHost"/> (cast): the conductor tries the next alternate
/// (releasing the failed host's claim) or puts the instance in ERROR with a fault.
/// </summary>
public sealed record RescheduleBuild(string InstanceUuid, string FailedHost, string Reason);

/// <summary>The instances a host should be running: what a restarted agent reconciles with its driver.</summary>
public sealed record GetInstancesOnHost(string Host);

public sealed record InstancesOnHostReply(IReadOnlyList<InstanceInfo> Instances);

// ---- Events ----

/// <summary>
/// An instance changed (fanout, after commit). Carries the whole instance at
/// <see cref="InstanceInfo.Version"/>; readers keep the highest version they have seen.
/// </summary>
public sealed record InstanceUpdated(InstanceInfo Instance);
