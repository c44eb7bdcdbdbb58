using ComputeAgent.Contracts;
using ComputeAgent.Network;
using ComputeAgent.Virt;
using Conductor.Contracts;
using Image.Contracts;
using Platform.Context;
using Scheduler.Contracts.Placement;

namespace ComputeAgent.Manager;

/// <summary>
/// The work of a compute host (nova's ComputeManager): it builds, changes and destroys instances
/// through its driver, and tells the conductor what became of them; it owns no state of its own.
/// </summary>
public sealed partial class ComputeManager(
    ComputeHosts hosts,
    ComputeSettings settings,
    ConductorClient conductor,
    NetworkApi network,
    ImageClient images,
    Volume.Contracts.VolumeClient volumes,
    Placement.PlacementClient placement,
    InstanceEvents events,
    InstanceLocks locks,
    ILogger<ComputeManager> logger)
{
    public const string VifPluggedEvent = "network-vif-plugged";

    private static readonly string?[] rebootStates =
        [TaskStates.RebootPending, TaskStates.Rebooting, TaskStates.RebootPendingHard, TaskStates.RebootingHard];

    private static readonly string?[] rebuildStates =
        [TaskStates.Rebuilding, TaskStates.RebuildBlockDeviceMapping, TaskStates.RebuildSpawning];

    private static readonly string?[] snapshotStates =
        [TaskStates.ImageSnapshot, TaskStates.ImageSnapshotPending, TaskStates.ImagePendingUpload, TaskStates.ImageUploading];

    // ---- build ----

    public async Task BuildAndRunInstanceAsync(BuildAndRunInstance message, CancellationToken cancellationToken)
    {
        var instance = message.Instance;
        if (OwnHost(instance) is not { } host) return;
        await using var held = await locks.AcquireAsync(instance.Uuid, cancellationToken);
        const string eventName = "compute_build_and_run_instance";
        var requestId = RequestId();

        // The action's start is recorded with the first state change; with no network to
        // allocate there is no networking step, and with no volume no block device step.
        var afterNetwork = instance.BlockDevices.Count > 0 ? TaskStates.BlockDeviceMapping : TaskStates.Spawning;
        var reply = await UpdateAsync(instance.Uuid, [TaskStates.Scheduling], new InstanceChanges
        {
            SetTaskState = true,
            TaskState = message.NoNetworks ? afterNetwork : TaskStates.Networking,
            Host = host.Name,
            Node = message.Node,
        }, cancellationToken, ActionEvent(instance.Uuid, requestId, eventName, host.Name, finished: false, null, null));
        if (!reply.Updated)
        {
            // Deleted meanwhile, or this is a redelivery of a build that already moved on.
            logger.LogInformation("build of {Instance} on {Host} stops: the instance is {State}", instance.Uuid, host.Name,
                reply.NotFound ? "gone" : $"{reply.Instance?.VmState}/{reply.Instance?.TaskState}");
            return;
        }
        instance = reply.Instance ?? instance;

        var ports = new PortChanges();
        var volumesMade = new List<BlockDeviceInfo>();
        var spawned = false;
        Stream? imageData = null;
        try
        {
            IReadOnlyList<VifInfo> vifs = [];
            List<(string, string?, Task<string>)> waiters = [];
            if (!message.NoNetworks)
            {
                vifs = await network.AllocateForInstanceAsync(instance, host.Name, message.Networks, message.SecurityGroups, ports, cancellationToken);
                // Waiters are in place before anything can plug the interfaces.
                if (host.Driver.WaitsForVifPlugged)
                    waiters = [.. vifs.Select(v => (VifPluggedEvent, (string?)v.PortId, events.Prepare(instance.Uuid, VifPluggedEvent, v.PortId)))];

                reply = await UpdateAsync(instance.Uuid, [TaskStates.Networking], new InstanceChanges
                {
                    SetTaskState = true,
                    TaskState = afterNetwork,
                    NetworkInfo = vifs,
                }, cancellationToken);
                if (!reply.Updated)
                {
                    logger.LogInformation("build of {Instance} stops before spawn: the instance changed meanwhile", instance.Uuid);
                    await network.RollbackAsync(ports, CancellationToken.None);
                    return;
                }
                instance = reply.Instance ?? instance;
            }

            List<(BlockDeviceInfo Device, VolumeMount Mount)> mounts = [];
            if (instance.BlockDevices.Count > 0)
            {
                mounts = await ConnectVolumesAsync(host, instance, volumesMade, cancellationToken);
                reply = await UpdateAsync(instance.Uuid, [TaskStates.BlockDeviceMapping], new InstanceChanges
                {
                    SetTaskState = true,
                    TaskState = TaskStates.Spawning,
                    SetBlockDevices = [.. mounts.Select(m => m.Device)],
                }, cancellationToken);
                if (!reply.Updated)
                {
                    logger.LogInformation("build of {Instance} stops before spawn: the instance changed meanwhile", instance.Uuid);
                    await ReleaseVolumesAsync(instance.Uuid, volumesMade, deleteVolumes: false);
                    await network.RollbackAsync(ports, CancellationToken.None);
                    return;
                }
                instance = reply.Instance ?? instance;
            }

            if (host.Driver.NeedsImageData && message.Image.Id is { Length: > 0 } imageId)
                imageData = await images.OpenDataAsync(imageId, cancellationToken);

            if (waiters.Count > 0) await WaitForVifsAsync(instance, waiters, cancellationToken);

            spawned = true;
            await host.Driver.SpawnAsync(instance, message.Image, imageData, vifs, [.. mounts.Select(m => m.Mount)], cancellationToken);
            var attached = await CompleteVolumesAsync(mounts.Select(m => m.Device), cancellationToken);

            reply = await UpdateAsync(instance.Uuid, [TaskStates.Spawning], new InstanceChanges
            {
                SetBlockDevices = attached.Count > 0 ? attached : null,
                VmState = VmStates.Active,
                SetTaskState = true,
                TaskState = null,
                PowerState = host.Driver.GetPowerState(instance.Uuid) ?? PowerStates.Running,
                LaunchedAt = DateTime.UtcNow,
                NetworkInfo = vifs,
            }, cancellationToken, ActionEvent(instance.Uuid, requestId, eventName, host.Name, finished: true, "Success", null));
            if (!reply.Updated)
            {
                // Deleted while it spawned: what was made here goes again (the delete may have run already).
                logger.LogInformation("instance {Instance} went away while it spawned on {Host}; cleaning up", instance.Uuid, host.Name);
                await TryAsync(() => host.Driver.DestroyAsync(instance.Uuid, CancellationToken.None), "destroy", instance.Uuid);
                await ReleaseVolumesAsync(instance.Uuid, volumesMade, deleteVolumes: false);
                await network.RollbackAsync(ports, CancellationToken.None);
                return;
            }
            host.BuildSucceeded();
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(e, "build of {Instance} failed on {Host}; asking for a reschedule", instance.Uuid, host.Name);
            if (spawned) await TryAsync(() => host.Driver.DestroyAsync(instance.Uuid, CancellationToken.None), "destroy", instance.Uuid);
            await network.RollbackAsync(ports, CancellationToken.None);
            // The volumes stay for the next host (or the delete): their attachments end here,
            // and the next host reserves them again.
            await ReleaseVolumesAsync(instance.Uuid, volumesMade, deleteVolumes: false);
            var released = volumesMade.Count > 0 ? volumesMade.Select(d => d with { AttachmentId = null, Attached = false }).ToList() : null;
            var plugged = ports.Created.Count + ports.Bound.Count > 0;
            if (plugged || released is not null)
                await TryAsync(() => UpdateAsync(instance.Uuid, [TaskStates.Networking, TaskStates.BlockDeviceMapping, TaskStates.Spawning],
                    new InstanceChanges { NetworkInfo = plugged ? [] : null, SetBlockDevices = released },
                    CancellationToken.None), "clear network info of", instance.Uuid);
            await RecordEventAsync(instance.Uuid, requestId, eventName, host.Name, finished: true, "Error", e.ToString());
            host.BuildFailed();
            await conductor.CastRescheduleBuildAsync(new RescheduleBuild(instance.Uuid, host.Name, e.Message), CancellationToken.None);
        }
        finally
        {
            events.Clear(instance.Uuid);
            if (imageData is not null) await imageData.DisposeAsync();
        }
    }

    private async Task WaitForVifsAsync(InstanceInfo instance, List<(string, string?, Task<string>)> waiters, CancellationToken cancellationToken)
    {
        var outcomes = await InstanceEvents.WaitAsync(waiters, settings.VifPluggingTimeout, cancellationToken);
        if (outcomes.Any(o => o.Status == ExternalEventOutcome.Aborted))
            throw new OperationCanceledException($"the build of {instance.Uuid} was called off while it waited for its interfaces");
        var failed = outcomes.Where(o => o.Failed).ToList();
        var missing = outcomes.Where(o => o.TimedOut && failed.Count == 0).ToList();
        if (failed.Count == 0 && missing.Count == 0) return;
        var what = failed.Count > 0
            ? $"network-vif-plugged failed for port(s) {string.Join(", ", failed.Select(o => o.Tag))}"
            : $"timed out after {settings.VifPluggingTimeout.TotalSeconds:0} s waiting for network-vif-plugged of port(s) {string.Join(", ", missing.Select(o => o.Tag))}";
        if (settings.VifPluggingIsFatal)
            throw new InvalidOperationException($"Virtual Interface creation failed: {what}");
        logger.LogWarning("instance {Instance}: {What}; going on, as vif_plugging_is_fatal is false", instance.Uuid, what);
    }

    // ---- actions ----

    public Task StopInstanceAsync(InstanceInfo instance, CancellationToken cancellationToken) =>
        RunActionAsync(instance, "compute_stop_instance", [TaskStates.PoweringOff], async host =>
        {
            await host.Driver.PowerOffAsync(instance, cancellationToken);
            return new InstanceChanges { VmState = VmStates.Stopped, PowerState = PowerStates.Shutdown };
        }, cancellationToken);

    public Task StartInstanceAsync(InstanceInfo instance, CancellationToken cancellationToken) =>
        RunActionAsync(instance, "compute_start_instance", [TaskStates.PoweringOn], async host =>
        {
            await host.Driver.PowerOnAsync(instance, cancellationToken);
            return new InstanceChanges { VmState = VmStates.Active, PowerState = PowerStates.Running };
        }, cancellationToken);

    public Task RebootInstanceAsync(InstanceInfo instance, string rebootType, CancellationToken cancellationToken) =>
        RunActionAsync(instance, "compute_reboot_instance", rebootStates, async host =>
        {
            await host.Driver.RebootAsync(instance, string.Equals(rebootType, "HARD", StringComparison.OrdinalIgnoreCase), cancellationToken);
            return new InstanceChanges { VmState = VmStates.Active, PowerState = PowerStates.Running };
        }, cancellationToken,
        // A failed reboot leaves the instance in ERROR unless the guest still runs.
        errorOnFailure: host => host.Driver.GetPowerState(instance.Uuid) != PowerStates.Running);

    public Task PauseInstanceAsync(InstanceInfo instance, CancellationToken cancellationToken) =>
        RunActionAsync(instance, "compute_pause_instance", [TaskStates.Pausing], async host =>
        {
            await host.Driver.PauseAsync(instance, cancellationToken);
            return new InstanceChanges { VmState = VmStates.Paused, PowerState = PowerStates.Paused };
        }, cancellationToken);

    public Task UnpauseInstanceAsync(InstanceInfo instance, CancellationToken cancellationToken) =>
        RunActionAsync(instance, "compute_unpause_instance", [TaskStates.Unpausing], async host =>
        {
            await host.Driver.UnpauseAsync(instance, cancellationToken);
            return new InstanceChanges { VmState = VmStates.Active, PowerState = PowerStates.Running };
        }, cancellationToken);

    public Task SuspendInstanceAsync(InstanceInfo instance, CancellationToken cancellationToken) =>
        RunActionAsync(instance, "compute_suspend_instance", [TaskStates.Suspending], async host =>
        {
            await host.Driver.SuspendAsync(instance, cancellationToken);
            return new InstanceChanges { VmState = VmStates.Suspended, PowerState = PowerStates.Suspended };
        }, cancellationToken);

    public Task ResumeInstanceAsync(InstanceInfo instance, CancellationToken cancellationToken) =>
        RunActionAsync(instance, "compute_resume_instance", [TaskStates.Resuming], async host =>
        {
            await host.Driver.ResumeAsync(instance, cancellationToken);
            return new InstanceChanges { VmState = VmStates.Active, PowerState = PowerStates.Running };
        }, cancellationToken);

    public Task RebuildInstanceAsync(InstanceInfo instance, Scheduler.Contracts.ImageSpec image, CancellationToken cancellationToken) =>
        RunActionAsync(instance, "compute_rebuild_instance", rebuildStates, async host =>
        {
            var reply = await UpdateAsync(instance.Uuid, [TaskStates.Rebuilding, TaskStates.RebuildBlockDeviceMapping],
                new InstanceChanges { SetTaskState = true, TaskState = TaskStates.RebuildSpawning }, cancellationToken);
            if (!reply.Updated) return null;
            Stream? data = null;
            try
            {
                if (host.Driver.NeedsImageData && image.Id is { Length: > 0 } id) data = await images.OpenDataAsync(id, cancellationToken);
                await host.Driver.RebuildAsync(instance, image, data, cancellationToken);
            }
            finally
            {
                if (data is not null) await data.DisposeAsync();
            }
            var changes = new InstanceChanges { ImageRef = image.Id, LaunchedAt = DateTime.UtcNow };
            // A stopped instance is rebuilt and stays stopped.
            if (instance.VmState == VmStates.Stopped)
            {
                await host.Driver.PowerOffAsync(instance, cancellationToken);
                return changes with { VmState = VmStates.Stopped, PowerState = PowerStates.Shutdown };
            }
            return changes with { VmState = VmStates.Active, PowerState = PowerStates.Running };
        }, cancellationToken, errorOnFailure: _ => true);

    public Task SnapshotInstanceAsync(InstanceInfo instance, string imageId, CancellationToken cancellationToken) =>
        RunActionAsync(instance, "compute_snapshot_instance", snapshotStates, async host =>
        {
            var reply = await UpdateAsync(instance.Uuid, [TaskStates.ImageSnapshot, TaskStates.ImageSnapshotPending],
                new InstanceChanges { SetTaskState = true, TaskState = TaskStates.ImagePendingUpload }, cancellationToken);
            if (!reply.Updated) return null;
            try
            {
                await using var disk = await host.Driver.SnapshotAsync(instance, cancellationToken);
                await UpdateAsync(instance.Uuid, [TaskStates.ImagePendingUpload],
                    new InstanceChanges { SetTaskState = true, TaskState = TaskStates.ImageUploading }, cancellationToken);
                await images.UploadDataAsync(imageId, disk, cancellationToken);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // The queued image would never get its data: it goes, as nova deletes a failed snapshot.
                await TryAsync(() => images.DeleteImageAsync(imageId, CancellationToken.None), "delete snapshot image of", instance.Uuid);
                throw;
            }
            return new InstanceChanges();
        }, cancellationToken);

    // ---- terminate ----

    public async Task TerminateInstanceAsync(InstanceInfo instance, CancellationToken cancellationToken)
    {
        if (OwnHost(instance) is not { } host) return;
        // A build still waiting for its interfaces would hold the instance for the whole
        // vif_plugging_timeout: the delete ends that wait first.
        events.Clear(instance.Uuid);
        await using var held = await locks.AcquireAsync(instance.Uuid, cancellationToken);
        await TerminateLockedAsync(host, instance, RequestId(), cancellationToken);
    }

    private async Task TerminateLockedAsync(ComputeHost host, InstanceInfo instance, string requestId, CancellationToken cancellationToken)
    {
        const string eventName = "compute_terminate_instance";
        await RecordEventAsync(instance.Uuid, requestId, eventName, host.Name, finished: false, null, null);
        try
        {
            await host.Driver.DestroyAsync(instance.Uuid, cancellationToken);
            try
            {
                await network.DeallocateForInstanceAsync(instance, cancellationToken);
            }
            catch (Exception e) when (instance.NetworkInfo.Count == 0 && !cancellationToken.IsCancellationRequested)
            {
                // Nothing was plugged as far as the conductor knows: no port to lose.
                logger.LogWarning("could not look for ports of {Instance} ({Error}); it had none recorded", instance.Uuid, e.Message);
            }
            await ReleaseVolumesAsync(instance.Uuid, instance.BlockDevices, deleteVolumes: true);
            await placement.DeleteAllocationsAsync(new DeleteAllocationsRequest { ConsumerUuid = instance.Uuid }, cancellationToken: cancellationToken);
            // Finished before the instance is gone: events of a deleted instance may no longer be recorded.
            await RecordEventAsync(instance.Uuid, requestId, eventName, host.Name, finished: true, "Success", null);
            await UpdateAsync(instance.Uuid, null, new InstanceChanges
            {
                VmState = VmStates.Deleted,
                SetTaskState = true,
                TaskState = null,
                PowerState = PowerStates.NoState,
                TerminatedAt = DateTime.UtcNow,
                Deleted = true,
            }, cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(e, "terminate of {Instance} failed on {Host}", instance.Uuid, host.Name);
            await TryAsync(() => UpdateAsync(instance.Uuid, null, new InstanceChanges
            {
                VmState = VmStates.Error,
                SetTaskState = true,
                TaskState = null,
                Fault = Fault(e),
            }, CancellationToken.None), "record the failure of", instance.Uuid);
            await RecordEventAsync(instance.Uuid, requestId, eventName, host.Name, finished: true, "Error", e.ToString());
        }
    }

    // ---- events and console ----

    public void ExternalInstanceEvent(ExternalInstanceEvent message)
    {
        if (!events.Pop(message.InstanceUuid, message.Name, message.Tag, message.Status))
            logger.LogDebug("no one waits for {Event} ({Tag}) of {Instance}", message.Name, message.Tag, message.InstanceUuid);
    }

    public InstanceConsoleOutput GetConsoleOutput(GetInstanceConsoleOutput request)
    {
        var host = hosts.FindByGuest(request.InstanceUuid);
        if (host?.Driver.GetConsoleOutput(request.InstanceUuid) is not { } output) return new InstanceConsoleOutput(null, NotFound: true);
        if (request.Length is { } length and >= 0)
        {
            var lines = output.TrimEnd('\n').Split('\n');
            output = string.Join('\n', lines.Skip(Math.Max(0, lines.Length - length))) + (length > 0 ? "\n" : "");
        }
        return new InstanceConsoleOutput(output);
    }

    // ---- the common shape of an action ----

    /// <summary>
    /// An action on an existing instance: its event started and finished, the driver's work, and
    /// the resulting state with no task; a failure records a fault and clears the task state
    /// (nova's reverts_task_state), with vm_state error only where <paramref name="errorOnFailure"/> says.
    /// <paramref name="work"/> answers null when it found the instance moved on and did nothing.
    /// </summary>
    private async Task RunActionAsync(InstanceInfo instance, string eventName, IReadOnlyList<string?> expected,
        Func<ComputeHost, Task<InstanceChanges?>> work, CancellationToken cancellationToken, Func<ComputeHost, bool>? errorOnFailure = null)
    {
        if (OwnHost(instance) is not { } host) return;
        await using var held = await locks.AcquireAsync(instance.Uuid, cancellationToken);
        var requestId = RequestId();
        await RecordEventAsync(instance.Uuid, requestId, eventName, host.Name, finished: false, null, null);
        try
        {
            var changes = await work(host);
            if (changes is null)
            {
                logger.LogInformation("{Event} of {Instance} stops: the instance changed meanwhile", eventName, instance.Uuid);
                await RecordEventAsync(instance.Uuid, requestId, eventName, host.Name, finished: true, "Error", "the instance changed state meanwhile");
                return;
            }
            var reply = await UpdateAsync(instance.Uuid, expected, changes with { SetTaskState = true, TaskState = null }, cancellationToken);
            if (!reply.Updated)
                logger.LogInformation("{Event} of {Instance} done, but the instance had moved on ({State})", eventName, instance.Uuid, reply.Instance?.TaskState);
            await RecordEventAsync(instance.Uuid, requestId, eventName, host.Name, finished: true, "Success", null);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(e, "{Event} of {Instance} failed on {Host}", eventName, instance.Uuid, host.Name);
            var changes = new InstanceChanges { SetTaskState = true, TaskState = null, Fault = Fault(e) };
            if (errorOnFailure?.Invoke(host) == true) changes = changes with { VmState = VmStates.Error };
            await TryAsync(() => UpdateAsync(instance.Uuid, expected, changes, CancellationToken.None), "revert the task state of", instance.Uuid);
            await RecordEventAsync(instance.Uuid, requestId, eventName, host.Name, finished: true, "Error", e.ToString());
        }
    }

    // ---- helpers ----

    private ComputeHost? OwnHost(InstanceInfo instance)
    {
        var host = hosts.Find(instance.Host) ?? (hosts.All.Count == 1 && instance.Host is null ? hosts.All[0] : null);
        if (host is null)
            logger.LogError("instance {Instance} names host {Host}, which this agent does not serve; message dropped", instance.Uuid, instance.Host);
        return host;
    }

    private Task<InstanceUpdateReply> UpdateAsync(string uuid, IReadOnlyList<string?>? expected, InstanceChanges changes, CancellationToken cancellationToken,
        RecordActionEvent? actionEvent = null) =>
        conductor.CallInstanceUpdateAsync(new InstanceUpdate { InstanceUuid = uuid, ExpectedTaskStates = expected, Changes = changes, ActionEvent = actionEvent }, cancellationToken);

    private static RecordActionEvent ActionEvent(string uuid, string requestId, string eventName, string host, bool finished, string? result, string? traceback) => new()
    {
        InstanceUuid = uuid,
        RequestId = requestId,
        Event = eventName,
        Host = host,
        Finished = finished,
        Result = result,
        Traceback = traceback,
    };

    /// <summary>The event is bookkeeping: losing it is logged, never fails the work.</summary>
    private async Task RecordEventAsync(string uuid, string requestId, string eventName, string host, bool finished, string? result, string? traceback)
    {
        try
        {
            await conductor.CallRecordActionEventAsync(ActionEvent(uuid, requestId, eventName, host, finished, result, traceback));
        }
        catch (Exception e)
        {
            logger.LogWarning("could not record {Event} of {Instance}: {Error}", eventName, uuid, e.Message);
        }
    }

    private static string RequestId()
    {
        var caller = RequestContextAccessor.Current;
        return caller?.GlobalRequestId ?? caller?.RequestId ?? Platform.Context.RequestContext.NewRequestId();
    }

    internal static FaultInfo Fault(Exception e) => new(e is VirtInstanceNotFoundException ? 404 : 500, e.Message, e.ToString(), DateTime.UtcNow);

    private async Task TryAsync(Func<Task> action, string what, string uuid)
    {
        try
        {
            await action();
        }
        catch (Exception e)
        {
            logger.LogWarning("could not {What} {Instance}: {Error}", what, uuid, e.Message);
        }
    }
}
