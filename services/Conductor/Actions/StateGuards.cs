using Conductor.Contracts;

namespace Conductor.Actions;

/// <summary>
/// Which states an action may start from, as nova's compute API checks them
/// (<c>check_instance_state</c>): allowed vm_states and task_states, null meaning any.
/// </summary>
public sealed record StateGuard(IReadOnlyList<string>? VmStates, IReadOnlyList<string?>? TaskStates)
{
    private static readonly IReadOnlyList<string?> NoTask = [null];

    public static StateGuard? For(RequestInstanceAction request) => request.Action switch
    {
        InstanceActions.Start => new([Contracts.VmStates.Stopped], NoTask),
        InstanceActions.Stop => new([Contracts.VmStates.Active, Contracts.VmStates.Rescued, Contracts.VmStates.Error], NoTask),
        InstanceActions.Reboot when IsHard(request) => new(
            [Contracts.VmStates.Active, Contracts.VmStates.Stopped, Contracts.VmStates.Paused, Contracts.VmStates.Suspended, Contracts.VmStates.Error],
            [null, Contracts.TaskStates.Rebooting, Contracts.TaskStates.RebootPending, Contracts.TaskStates.RebootingHard,
             Contracts.TaskStates.RebootPendingHard, Contracts.TaskStates.Resuming, Contracts.TaskStates.Unpausing,
             Contracts.TaskStates.Pausing, Contracts.TaskStates.Suspending]),
        InstanceActions.Reboot => new([Contracts.VmStates.Active], NoTask),
        InstanceActions.Pause => new([Contracts.VmStates.Active], NoTask),
        InstanceActions.Unpause => new([Contracts.VmStates.Paused], NoTask),
        InstanceActions.Suspend => new([Contracts.VmStates.Active], NoTask),
        InstanceActions.Resume => new([Contracts.VmStates.Suspended], NoTask),
        InstanceActions.Rebuild => new([Contracts.VmStates.Active, Contracts.VmStates.Stopped, Contracts.VmStates.Error], NoTask),
        InstanceActions.CreateImage => new([Contracts.VmStates.Active, Contracts.VmStates.Stopped, Contracts.VmStates.Paused, Contracts.VmStates.Suspended], NoTask),
        // nova's attach_volume and detach_volume: a guest that is there and not busy.
        InstanceActions.AttachVolume or InstanceActions.DetachVolume => new(
            [Contracts.VmStates.Active, Contracts.VmStates.Paused, Contracts.VmStates.Stopped, Contracts.VmStates.Suspended], NoTask),
        _ => null,
    };

    public static bool IsHard(RequestInstanceAction request) => string.Equals(request.RebootType, "HARD", StringComparison.OrdinalIgnoreCase);

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
