using TaskState = Conductor.Contracts.TaskStates;
using VmState = Conductor.Contracts.VmStates;

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
        InstanceActions.Start => new([VmState.Stopped], NoTask),
        InstanceActions.Stop => new([VmState.Active, VmState.Rescued, VmState.Error], NoTask),
        InstanceActions.Reboot when IsHard(rebootType) => new(
            [VmState.Active, VmState.Stopped, VmState.Paused, VmState.Suspended, VmState.Error],
            [null, TaskState.Rebooting, TaskState.RebootPending, TaskState.RebootingHard,
             TaskState.RebootPendingHard, TaskState.Resuming, TaskState.Unpausing,
             TaskState.Pausing, TaskState.Suspending]),
        InstanceActions.Reboot => new([VmState.Active], NoTask),
        InstanceActions.Pause => new([VmState.Active], NoTask),
        InstanceActions.Unpause => new([VmState.Paused], NoTask),
        InstanceActions.Suspend => new([VmState.Active], NoTask),
        InstanceActions.Resume => new([VmState.Suspended], NoTask),
        InstanceActions.Rebuild => new([VmState.Active, VmState.Stopped, VmState.Error], NoTask),
        InstanceActions.CreateImage => new([VmState.Active, VmState.Stopped, VmState.Paused, VmState.Suspended], NoTask),
        // nova's attach_volume and detach_volume: a guest that is there and not busy.
        InstanceActions.AttachVolume or InstanceActions.DetachVolume => new(
            [VmState.Active, VmState.Paused, VmState.Stopped, VmState.Suspended], NoTask),
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
