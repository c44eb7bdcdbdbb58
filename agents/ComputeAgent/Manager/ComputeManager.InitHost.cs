using Conductor.Contracts;

namespace ComputeAgent.Manager;

public sealed partial class ComputeManager
{
    // A build that had reached this host and then lost it: no message will carry it further.
    private static readonly HashSet<string?> interruptedBuildStates =
        [TaskStates.Networking, TaskStates.BlockDeviceMapping, TaskStates.Spawning];

    /// <summary>
    /// Start-up reconciliation of one host (nova's init_host and power state sync): what the
    /// conductor says runs here against what the driver has.
    /// </summary>
    public async Task InitHostAsync(ComputeHost host, CancellationToken cancellationToken)
    {
        var expected = (await conductor.CallGetInstancesOnHostAsync(host.Name, cancellationToken)).Instances;
        var known = expected.Select(i => i.Uuid).ToHashSet();
        foreach (var instance in expected)
        {
            if (instance.Deleted) continue;
            try
            {
                await using var held = await locks.AcquireAsync(instance.Uuid, cancellationToken);
                await ReconcileAsync(host, instance, cancellationToken);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "could not reconcile instance {Instance} on {Host}", instance.Uuid, host.Name);
            }
        }
        // Guests nobody knows of any more (deleted while this host was away) are destroyed. A
        // build this host took since the list was fetched has a guest too: its instance named
        // this host before the guest existed, so a second look after listing the guests finds it.
        var strays = host.Driver.ListInstances().Where(g => !known.Contains(g.Uuid)).ToList();
        if (strays.Count > 0)
        {
            var now = (await conductor.CallGetInstancesOnHostAsync(host.Name, cancellationToken)).Instances
                .Where(i => !i.Deleted).Select(i => i.Uuid).ToHashSet();
            foreach (var guest in strays.Where(g => !now.Contains(g.Uuid)))
            {
                await using var held = await locks.AcquireAsync(guest.Uuid, cancellationToken);
                logger.LogWarning("destroying guest {Instance} on {Host}: the conductor does not know it", guest.Uuid, host.Name);
                await host.Driver.DestroyAsync(guest.Uuid, cancellationToken);
            }
        }
        logger.LogInformation("host {Host} reconciled {Count} instances with its driver", host.Name, expected.Count);
    }

    private async Task ReconcileAsync(ComputeHost host, InstanceInfo instance, CancellationToken cancellationToken)
    {
        if (instance.TaskState == TaskStates.Deleting)
        {
            logger.LogInformation("finishing the delete of {Instance} on {Host}", instance.Uuid, host.Name);
            await TerminateLockedAsync(host, instance, RequestId(), cancellationToken);
            return;
        }

        if (interruptedBuildStates.Contains(instance.TaskState) || (instance.VmState == VmStates.Building && instance.TaskState is null))
        {
            // The list was read before this instance's lock was taken: a build this agent was
            // running then has finished meanwhile. So the conductor decides first (the task
            // state must still be the one read), and only an instance it put in ERROR loses its guest.
            var reply = await UpdateAsync(instance.Uuid, [instance.TaskState], new InstanceChanges
            {
                VmState = VmStates.Error,
                SetTaskState = true,
                TaskState = null,
                PowerState = PowerStates.NoState,
                Fault = new FaultInfo(500, "Instance was in the middle of building when its compute host restarted.", null, DateTime.UtcNow),
            }, cancellationToken);
            if (!reply.Updated)
            {
                logger.LogInformation("instance {Instance} moved on from {TaskState} while {Host} started; left as it is", instance.Uuid, instance.TaskState, host.Name);
                return;
            }
            logger.LogWarning("instance {Instance} was left building ({TaskState}) when {Host} stopped; it went to ERROR", instance.Uuid, instance.TaskState, host.Name);
            await host.Driver.DestroyAsync(instance.Uuid, cancellationToken);
            return;
        }

        // Other tasks (and builds still waiting in scheduling) have their message still queued
        // for this host: it finishes them. Only settled instances are synced.
        if (instance.TaskState is not null) return;

        var power = host.Driver.GetPowerState(instance.Uuid);
        InstanceChanges? changes = null;
        if (power is null)
        {
            if (instance.VmState is VmStates.Active or VmStates.Paused or VmStates.Suspended)
                changes = new InstanceChanges { VmState = VmStates.Stopped, PowerState = PowerStates.Shutdown };
            else if (instance.VmState == VmStates.Stopped && instance.PowerState != PowerStates.Shutdown)
                changes = new InstanceChanges { PowerState = PowerStates.Shutdown };
        }
        else if (power != instance.PowerState)
        {
            changes = instance.VmState == VmStates.Active && power == PowerStates.Shutdown
                ? new InstanceChanges { VmState = VmStates.Stopped, PowerState = power }
                : new InstanceChanges { PowerState = power };
        }
        if (changes is null) return;
        logger.LogInformation("syncing instance {Instance} on {Host}: driver power state {Power}, was {VmState}/{Was}",
            instance.Uuid, host.Name, power?.ToString() ?? "missing", instance.VmState, instance.PowerState);
        await UpdateAsync(instance.Uuid, [null], changes, cancellationToken);
    }
}
