namespace Conductor.Contracts;

/// <summary>
/// Which states an action may start from, as nova's compute API checks them
/// (<c>check_instance_state</c>): allowed vm_states and task_states, null meaning any. The
/// conductor decides with it on the held row; the compute API asks it first where it would
/// otherwise touch another service (a volume) for an action that cannot start.
/// </summary>
public sealed record StateGuard(IReadOnlyList<string>? VmStates, IReadOnlyList<string?>? TaskStates)
{
    private static readonly IReadOnlyList<string?> NoTask = [null];

    public static StateGuard? For(RequestInstanceAction request) => For(request.Action, request.RebootType);

    public static StateGuard? For(string action, string? rebootType = null) => action switch
    {
        InstanceActions.Start => new([Conductor.Contracts.VmStates.Stopped], NoTask),
        InstanceActions.Stop => new([Conductor.Contracts.VmStates.Active, Conductor.Contracts.VmStates.Rescued, Conductor.Contracts.VmStates.Error], NoTask),
        InstanceActions.Reboot when IsHard(rebootType) => new(
            [Conductor.Contracts.VmStates.Active, Conductor.Contracts.VmStates.Stopped, Conductor.Contracts.VmStates.Paused, Conductor.Contracts.VmStates.Suspended, Conductor.Contracts.VmStates.Error],
            [null, Conductor.Contracts.TaskStates.Rebooting, Conductor.Contracts.TaskStates.RebootPending, Conductor.Contracts.TaskStates.RebootingHard,
             Conductor.Contracts.TaskStates.RebootPendingHard, Conductor.Contracts.TaskStates.Resuming, Conductor.Contracts.TaskStates.Unpausing,
             Conductor.Contracts.TaskStates.Pausing, Conductor.Contracts.TaskStates.Suspending]),
        InstanceActions.Reboot => new([Conductor.Contracts.VmStates.Active], NoTask),
        InstanceActions.Pause => new([Conductor.Contracts.VmStates.Active], NoTask),
        InstanceActions.Unpause => new([Conductor.Contracts.VmStates.Paused], NoTask),
        InstanceActions.Suspend => new([Conductor.Contracts.VmStates.Active], NoTask),
        InstanceActions.Resume => new([Conductor.Contracts.VmStates.Suspended], NoTask),
        InstanceActions.Rebuild => new([Conductor.Contracts.VmStates.Active, Conductor.Contracts.VmStates.Stopped, Conductor.Contracts.VmStates.Error], NoTask),
        InstanceActions.CreateImage => new([Conductor.Contracts.VmStates.Active, Conductor.Contracts.VmStates.Stopped, Conductor.Contracts.VmStates.Paused, Conductor.Contracts.VmStates.Suspended], NoTask),
        // nova's attach_volume and detach_volume: a guest that is there and not busy.
        InstanceActions.AttachVolume or InstanceActions.DetachVolume => new(
            [Conductor.Contracts.VmStates.Active, Conductor.Contracts.VmStates.Paused, Conductor.Contracts.VmStates.Stopped, Conductor.Contracts.VmStates.Suspended], NoTask),
        _ => null,
    };

    public static bool IsHard(RequestInstanceAction request) => IsHard(request.RebootType);

    private static bool IsHard(string? rebootType) => string.Equals(rebootType, "HARD", StringComparison.OrdinalIgnoreCase);

    /// <summary>nova's InstanceInvalidState text, or null when the state allows the action.</summary>
    public string? Refusal(string action, string uuid, string vmState, string? taskState)
    {
        if (VmStates is not null && !VmStates.Contains(vmState))
            return $"Cannot '{action}' instance {uuid} while it is in vm_state {vmState}";
        if (TaskStates is not null && !TaskStates.Contains(taskState))
            return $"Cannot '{action}' instance {uuid} while it is in task_state {taskState ?? "None"}";
        return null;
    }
}
