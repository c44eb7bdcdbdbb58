using System.Data;
using ComputeAgent.Contracts;
using Conductor.Contracts;
using Conductor.Db;
using Conductor.Placement;
using Dapper;
using MassTransit;
using Platform.Data;
using Platform.Messaging.Outbox;

namespace Conductor.Actions;

/// <summary>
/// An API action on an instance: the state guard, the lock check, the new task state, the action
/// record, the event and the cast to the host, all in one transaction on the held row.
/// </summary>
public sealed class InstanceActionConsumer(IDbConnectionFactory db, IOutbox outbox, ComputeAgentClient compute, PlacementCalls placement,
    TimeProvider time, ILogger<InstanceActionConsumer> logger) : IConsumer<RequestInstanceAction>
{
    // Actions a lock keeps non-admins from (nova's check_instance_lock).
    private static readonly HashSet<string> LockChecked =
    [
        InstanceActions.Delete, InstanceActions.Start, InstanceActions.Stop, InstanceActions.Reboot, InstanceActions.Pause,
        InstanceActions.Unpause, InstanceActions.Suspend, InstanceActions.Resume, InstanceActions.Rebuild, InstanceActions.CreateImage,
        InstanceActions.AttachVolume, InstanceActions.DetachVolume,
    ];

    public async Task Consume(ConsumeContext<RequestInstanceAction> context)
    {
        var reply = await HandleAsync(context.Message, context.CancellationToken);
        await context.RespondAsync(reply);
    }

    private async Task<InstanceActionReply> HandleAsync(RequestInstanceAction r, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await using var c = await db.OpenAsync(cancellationToken);
        await using var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
        // A delete writes its tombstone before it looks: of a delete and a build creating the
        // instance at the same moment, one always sees the other (the build inserts, then reads tombstones).
        var tombstoned = r.Action == InstanceActions.Delete
            && await c.ExecuteAsync("INSERT IGNORE INTO instance_tombstones (uuid, created_at) VALUES (@InstanceUuid, @now)", new { r.InstanceUuid, now }, tx) == 1;
        var row = await Instances.LockAsync(tx, r.InstanceUuid);
        if (row is null)
        {
            if (r.Action != InstanceActions.Delete) return new InstanceActionReply { NotFound = true };
            // The delete overtook the build message: the build drops the instance when it comes.
            await tx.CommitAsync(cancellationToken);
            return new InstanceActionReply { Accepted = true };
        }
        if (tombstoned)
            await c.ExecuteAsync("DELETE FROM instance_tombstones WHERE uuid = @InstanceUuid", r, tx);
        // This request again (the conductor that accepted it died before it answered): accepted.
        if (row.LastChangeId == r.ChangeId) return new InstanceActionReply { Accepted = true, Instance = row.ToInfo() };
        if (row.Deleted) return new InstanceActionReply { NotFound = true };

        var locked = row.Locked && !r.CallerIsAdmin && (LockChecked.Contains(r.Action) || (r.Action == InstanceActions.Update && r.Metadata is not null));
        if (locked) return Conflict($"Instance {row.Uuid} is locked");
        if (StateGuard.For(r)?.Refusal(r.Action, row.Uuid, row.VmState, row.TaskState) is { } refusal) return Conflict(refusal);

        var record = true;
        Func<Task>? cast = null;
        var released = false;
        switch (r.Action)
        {
            case InstanceActions.Delete:
                if (row.Host is { } deleteHost)
                {
                    row.TaskState = TaskStates.Deleting;
                    cast = () => compute.CastTerminateInstanceAsync(tx, deleteHost, new TerminateInstance(row.ToInfo()), cancellationToken);
                }
                else
                {
                    // Never placed (or put in ERROR before it was): nothing on a host to tear down.
                    row.VmState = VmStates.Deleted;
                    row.TaskState = null;
                    row.Deleted = true;
                    row.DeletedAt = now;
                    row.TerminatedAt = now;
                    released = true;
                }
                break;
            case InstanceActions.Lock:
                row.Locked = true;
                row.LockedBy = r.CallerIsAdmin ? "admin" : "owner";
                row.LockedReason = r.LockedReason;
                break;
            case InstanceActions.Unlock:
                if (row.Locked && row.LockedBy == "admin" && !r.CallerIsAdmin)
                    return Conflict($"Instance {row.Uuid} is locked by an admin; only an admin can unlock it");
                row.Locked = false;
                row.LockedBy = null;
                row.LockedReason = null;
                break;
            case InstanceActions.Update:
                record = false;
                if (r.DisplayName is not null) row.DisplayName = r.DisplayName;
                if (r.DisplayDescription is not null) row.DisplayDescription = r.DisplayDescription;
                if (r.Metadata is not null) row.Metadata = Json.Write(r.Metadata);
                if (r.Tags is not null) row.Tags = Json.Write(r.Tags);
                break;
            default:
                if (row.Host is not { } host) return Conflict($"Cannot '{r.Action}' instance {row.Uuid} while it is in vm_state {row.VmState}");
                var start = StartOnHost(r, row, host, tx, cancellationToken);
                if (start is null) return Conflict(r.Action switch
                {
                    InstanceActions.AttachVolume => $"Volume {r.Volume?.VolumeId} is already attached to instance {row.Uuid}",
                    InstanceActions.DetachVolume => $"Volume {r.Volume?.VolumeId} is not a detachable volume of instance {row.Uuid}",
                    _ => $"Unknown action '{r.Action}'",
                });
                cast = start;
                break;
        }

        if (!await Instances.SaveAsync(tx, row, outbox, now, r.ChangeId))
            return Conflict($"Instance {row.Uuid} changed meanwhile; try again");
        if (record)
            await ActionRecords.StartAsync(tx, row.Uuid, r.Action, Platform.Context.RequestContextAccessor.Current?.UserId ?? row.UserId,
                Platform.Context.RequestContextAccessor.Current?.ProjectId ?? row.ProjectId, now);
        if (cast is not null) await cast();
        await outbox.CommitAsync(tx, cancellationToken);

        if (released)
        {
            try { await placement.DeleteAllocationsAsync(row.Uuid, cancellationToken); }
            catch (Exception e) { logger.LogWarning(e, "could not release the allocation of deleted instance {Instance}", row.Uuid); }
        }
        return new InstanceActionReply { Accepted = true, Instance = row.ToInfo() };
    }

    /// <summary>Sets the action's task state on <paramref name="row"/> and says how to cast it; null for an unknown action.</summary>
    private Func<Task>? StartOnHost(RequestInstanceAction r, InstanceRow row, string host, System.Data.Common.DbTransaction tx, CancellationToken ct)
    {
        switch (r.Action)
        {
            case InstanceActions.Start:
                row.TaskState = TaskStates.PoweringOn;
                return () => compute.CastStartInstanceAsync(tx, host, new StartInstance(row.ToInfo()), ct);
            case InstanceActions.Stop:
                row.TaskState = TaskStates.PoweringOff;
                return () => compute.CastStopInstanceAsync(tx, host, new StopInstance(row.ToInfo()), ct);
            case InstanceActions.Reboot:
                var hard = StateGuard.IsHard(r);
                row.TaskState = hard ? TaskStates.RebootingHard : TaskStates.Rebooting;
                return () => compute.CastRebootInstanceAsync(tx, host, new RebootInstance(row.ToInfo(), hard ? "HARD" : "SOFT"), ct);
            case InstanceActions.Pause:
                row.TaskState = TaskStates.Pausing;
                return () => compute.CastPauseInstanceAsync(tx, host, new PauseInstance(row.ToInfo()), ct);
            case InstanceActions.Unpause:
                row.TaskState = TaskStates.Unpausing;
                return () => compute.CastUnpauseInstanceAsync(tx, host, new UnpauseInstance(row.ToInfo()), ct);
            case InstanceActions.Suspend:
                row.TaskState = TaskStates.Suspending;
                return () => compute.CastSuspendInstanceAsync(tx, host, new SuspendInstance(row.ToInfo()), ct);
            case InstanceActions.Resume:
                row.TaskState = TaskStates.Resuming;
                return () => compute.CastResumeInstanceAsync(tx, host, new ResumeInstance(row.ToInfo()), ct);
            case InstanceActions.Rebuild:
                var image = r.Image ?? new Scheduler.Contracts.ImageSpec { Id = row.ImageRef };
                row.TaskState = TaskStates.Rebuilding;
                if (image.Id is not null) row.ImageRef = image.Id;
                if (r.DisplayName is not null) row.DisplayName = r.DisplayName;
                if (r.Metadata is not null) row.Metadata = Json.Write(r.Metadata);
                return () => compute.CastRebuildInstanceAsync(tx, host, new RebuildInstance(row.ToInfo(), image), ct);
            case InstanceActions.AttachVolume:
            {
                if (r.Volume is not { } wanted) return null;
                var devices = Json.Read<List<BlockDeviceInfo>>(row.BlockDeviceMapping, []);
                if (devices.Any(d => d.VolumeId == wanted.VolumeId)) return null;
                var device = wanted with { DeviceName = BlockDevices.NextDeviceName(devices, wanted.DeviceName), Attached = false, BootIndex = null };
                row.BlockDeviceMapping = Json.Write(BlockDeviceChanges.Merge(devices, [device], null));
                return () => compute.CastAttachVolumeAsync(tx, host, new AttachVolume(row.ToInfo(), device), ct);
            }
            case InstanceActions.DetachVolume:
            {
                var device = Json.Read<List<BlockDeviceInfo>>(row.BlockDeviceMapping, []).FirstOrDefault(d => d.VolumeId == r.Volume?.VolumeId);
                if (device is null || device.IsRoot) return null;
                return () => compute.CastDetachVolumeAsync(tx, host, new DetachVolume(row.ToInfo(), device), ct);
            }
            case InstanceActions.CreateImage:
                if (r.SnapshotImageId is not { } imageId) return null;
                row.TaskState = TaskStates.ImageSnapshot;
                return () => compute.CastSnapshotInstanceAsync(tx, host, new SnapshotInstance(row.ToInfo(), imageId), ct);
            default:
                return null;
        }
    }

    private static InstanceActionReply Conflict(string message) => new() { ConflictMessage = message };
}
