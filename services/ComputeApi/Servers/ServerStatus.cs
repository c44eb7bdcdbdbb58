using Conductor.Contracts;

namespace ComputeApi.Servers;

/// <summary>nova's server status: derived from vm_state and task_state, and back again for the status filter.</summary>
public static class ServerStatus
{
    private static readonly Dictionary<string, Dictionary<string, string>> Map = new()
    {
        [VmStates.Active] = new()
        {
            [""] = "ACTIVE",
            [TaskStates.Rebooting] = "REBOOT", ["rebooting"] = "REBOOT", [TaskStates.RebootPending] = "REBOOT",
            [TaskStates.RebootingHard] = "HARD_REBOOT", ["rebooting_hard"] = "HARD_REBOOT", [TaskStates.RebootPendingHard] = "HARD_REBOOT",
            ["updating_password"] = "PASSWORD",
            [TaskStates.Rebuilding] = "REBUILD", [TaskStates.RebuildBlockDeviceMapping] = "REBUILD", [TaskStates.RebuildSpawning] = "REBUILD",
            ["migrating"] = "MIGRATING",
            ["resize_prep"] = "RESIZE", ["resize_migrating"] = "RESIZE", ["resize_migrated"] = "RESIZE", ["resize_finish"] = "RESIZE",
        },
        [VmStates.Building] = new() { [""] = "BUILD" },
        [VmStates.Stopped] = new()
        {
            [""] = "SHUTOFF",
            ["resize_prep"] = "RESIZE", ["resize_migrating"] = "RESIZE", ["resize_migrated"] = "RESIZE", ["resize_finish"] = "RESIZE",
            [TaskStates.Rebuilding] = "REBUILD", [TaskStates.RebuildBlockDeviceMapping] = "REBUILD", [TaskStates.RebuildSpawning] = "REBUILD",
        },
        [VmStates.Resized] = new() { [""] = "VERIFY_RESIZE", ["resize_reverting"] = "REVERT_RESIZE" },
        [VmStates.Paused] = new() { [""] = "PAUSED", ["migrating"] = "MIGRATING" },
        [VmStates.Suspended] = new() { [""] = "SUSPENDED" },
        [VmStates.Rescued] = new() { [""] = "RESCUE" },
        [VmStates.Error] = new() { [""] = "ERROR", [TaskStates.Rebuilding] = "REBUILD", [TaskStates.RebuildBlockDeviceMapping] = "REBUILD", [TaskStates.RebuildSpawning] = "REBUILD" },
        [VmStates.Deleted] = new() { [""] = "DELETED" },
        [VmStates.SoftDeleted] = new() { [""] = "SOFT_DELETED" },
        [VmStates.Shelved] = new() { [""] = "SHELVED" },
        [VmStates.ShelvedOffloaded] = new() { [""] = "SHELVED_OFFLOADED" },
    };

    public static string Of(string vmState, string? taskState) =>
        Map.TryGetValue(vmState, out var byTask)
            ? taskState is not null && byTask.TryGetValue(taskState, out var s) ? s : byTask[""]
            : "UNKNOWN";

    /// <summary>
    /// The (vm_state, task_states) pairs a status stands for: null task list means "any task
    /// state not mapped to another status"; an empty result means no server can have it.
    /// </summary>
    public static List<(string VmState, List<string>? TaskStates, List<string> ExcludedTasks)> States(string status)
    {
        var result = new List<(string, List<string>?, List<string>)>();
        foreach (var (vm, byTask) in Map)
        {
            if (byTask[""] == status)
                result.Add((vm, null, byTask.Where(t => t.Key != "" && t.Value != status).Select(t => t.Key).ToList()));
            else
            {
                var tasks = byTask.Where(t => t.Key != "" && t.Value == status).Select(t => t.Key).ToList();
                if (tasks.Count > 0) result.Add((vm, tasks, []));
            }
        }
        return result;
    }
}
