using System.Data;
using Conductor.Contracts;
using Dapper;
using MassTransit;
using Platform.Data;

namespace Conductor.Agents;

/// <summary>
/// An event of an instance action started or finished on a host (nova's action_event_start and
/// _finish). A finish updates the event the host started, or records it whole when the start was lost.
/// </summary>
public sealed class RecordActionEventConsumer(IDbConnectionFactory db, TimeProvider time) : IConsumer<RecordActionEvent>
{
    public async Task Consume(ConsumeContext<RecordActionEvent> context)
    {
        var m = context.Message;
        var now = time.GetUtcNow().UtcDateTime;
        await using var c = await db.OpenAsync(context.CancellationToken);
        await using var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted, context.CancellationToken);
        var actionId = await c.ExecuteScalarAsync<long?>(
            "SELECT id FROM instance_actions WHERE instance_uuid = @InstanceUuid AND request_id = @RequestId ORDER BY id DESC LIMIT 1 FOR UPDATE", m, tx);
        if (actionId is null)
        {
            await context.RespondAsync(new RecordActionEventReply(false));
            return;
        }
        if (!m.Finished)
        {
            var open = await c.ExecuteScalarAsync<long?>("""
                SELECT id FROM instance_actions_events WHERE action_id = @actionId AND event = @Event AND host = @Host AND finish_time IS NULL LIMIT 1
                """, new { actionId, m.Event, m.Host }, tx);
            if (open is null)
                await c.ExecuteAsync("""
                    INSERT INTO instance_actions_events (action_id, event, start_time, host, created_at, updated_at)
                    VALUES (@actionId, @Event, @now, @Host, @now, @now)
                    """, new { actionId, m.Event, m.Host, now }, tx);
        }
        else
        {
            var updated = await c.ExecuteAsync("""
                UPDATE instance_actions_events SET finish_time = @now, result = @Result, traceback = @Traceback, updated_at = @now
                WHERE action_id = @actionId AND event = @Event AND host = @Host AND finish_time IS NULL
                ORDER BY id DESC LIMIT 1
                """, new { actionId, m.Event, m.Host, m.Result, m.Traceback, now }, tx);
            if (updated == 0)
                await c.ExecuteAsync("""
                    INSERT INTO instance_actions_events (action_id, event, start_time, finish_time, result, traceback, host, created_at, updated_at)
                    VALUES (@actionId, @Event, @now, @now, @Result, @Traceback, @Host, @now, @now)
                    """, new { actionId, m.Event, m.Host, m.Result, m.Traceback, now }, tx);
            await c.ExecuteAsync("""
                UPDATE instance_actions SET updated_at = @now, message = IF(@failed, 'Error', message),
                  finish_time = IF(@failed, @now, finish_time)
                WHERE id = @actionId
                """, new { actionId, now, failed = m.Result is not null && m.Result != "Success" }, tx);
        }
        await tx.CommitAsync(context.CancellationToken);
        await context.RespondAsync(new RecordActionEventReply(true));
    }
}
