using System.Data;
using Conductor.Contracts;
using Conductor.Db;
using MassTransit;
using Platform.Data;
using Platform.Messaging.Outbox;

namespace Conductor.Agents;

/// <summary>
/// instance_update: an agent's change to an instance, applied only when the task state is one it
/// expects (nova's <c>save(expected_task_state=...)</c>), as one new version with its event.
/// </summary>
public sealed class InstanceUpdateConsumer(IDbConnectionFactory db, IOutbox outbox, TimeProvider time) : IConsumer<InstanceUpdate>
{
    public async Task Consume(ConsumeContext<InstanceUpdate> context)
    {
        var m = context.Message;
        var ch = m.Changes;
        var now = time.GetUtcNow().UtcDateTime;
        await using var c = await db.OpenAsync(context.CancellationToken);
        await using var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted, context.CancellationToken);
        var row = await Instances.LockAsync(tx, m.InstanceUuid);
        if (row is null)
        {
            await context.RespondAsync(new InstanceUpdateReply { NotFound = true });
            return;
        }
        if (row.LastChangeId == m.ChangeId)
        {
            // This change again: the conductor that made it died before it answered, and the
            // message came back. It is made, and nothing changed the instance since.
            await context.RespondAsync(new InstanceUpdateReply { Updated = true, Instance = row.ToInfo() });
            return;
        }
        if (row.Deleted || (m.ExpectedTaskStates is { } expected && !expected.Contains(row.TaskState)))
        {
            await context.RespondAsync(new InstanceUpdateReply { Updated = false, Instance = row.ToInfo() });
            return;
        }

        if (ch.VmState is not null) row.VmState = ch.VmState;
        if (ch.SetTaskState) row.TaskState = ch.TaskState;
        if (ch.PowerState is { } power) row.PowerState = power;
        if (ch.Host is not null) row.Host = ch.Host;
        if (ch.Node is not null) row.Node = ch.Node;
        if (ch.LaunchedAt is { } launched) row.LaunchedAt = launched;
        if (ch.TerminatedAt is { } terminated) row.TerminatedAt = terminated;
        if (ch.NetworkInfo is not null) row.NetworkInfo = Json.Write(ch.NetworkInfo);
        if (ch.SetBlockDevices is not null || ch.RemoveBlockDevices is not null)
            row.BlockDeviceMapping = Json.Write(BlockDeviceChanges.Merge(Json.Read<List<BlockDeviceInfo>>(row.BlockDeviceMapping, []), ch.SetBlockDevices, ch.RemoveBlockDevices));
        if (ch.ImageRef is not null) row.ImageRef = ch.ImageRef;
        if (ch.Progress is { } progress) row.Progress = progress;
        if (ch.Fault is { } fault) await Instances.AddFaultAsync(tx, row, fault, row.Host);
        if (ch.Deleted)
        {
            row.Deleted = true;
            row.DeletedAt = now;
            row.VmState = VmStates.Deleted;
            row.TaskState = null;
            row.TerminatedAt ??= now;
        }
        if (!await Instances.SaveAsync(tx, row, outbox, now, m.ChangeId))
            throw new InvalidOperationException($"instance {row.Uuid} changed while locked");
        if (m.ActionEvent is { } actionEvent) await ActionRecords.RecordEventAsync(tx, actionEvent with { InstanceUuid = row.Uuid }, now);
        await outbox.CommitAsync(tx, context.CancellationToken);
        await context.RespondAsync(new InstanceUpdateReply { Updated = true, Instance = row.ToInfo() });
    }
}
