using Conductor.Contracts;
using Conductor.Db;

namespace Conductor.Build;

/// <summary>Putting a build in ERROR with the fault that says why (nova's _set_vm_state_and_notify).</summary>
public static class BuildFaults
{
    public static async Task SetErrorAsync(System.Data.Common.DbTransaction transaction, InstanceRow row, string message, string? details,
        Platform.Messaging.Outbox.IOutbox outbox, DateTime now)
    {
        await Instances.AddFaultAsync(transaction, row, new FaultInfo(500, message, details, now), row.Host);
        row.VmState = VmStates.Error;
        row.TaskState = null;
        row.Host = null;
        row.Node = null;
        if (!await Instances.SaveAsync(transaction, row, outbox, now))
            throw new InvalidOperationException($"instance {row.Uuid} changed while locked");
    }
}
