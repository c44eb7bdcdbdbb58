using System.Data.Common;
using Conductor.Contracts;
using Dapper;
using Platform.Context;

namespace Conductor.Db;

/// <summary>nova's instance_actions: one row per API action on an instance, keyed by its request id.</summary>
public static class ActionRecords
{
    /// <summary>The id that ties an action to the API call that started it (the global request id).</summary>
    public static string CurrentRequestId()
    {
        var caller = RequestContextAccessor.Current;
        return caller?.GlobalRequestId ?? caller?.RequestId ?? RequestContext.NewRequestId();
    }

    /// <summary>Starts an action; a second start for the same request (a redelivery) is a no-op.</summary>
    public static Task StartAsync(DbTransaction transaction, string instanceUuid, string action, string? userId, string? projectId, DateTime now) =>
        transaction.Connection!.ExecuteAsync("""
            INSERT IGNORE INTO instance_actions (action, instance_uuid, request_id, user_id, project_id, start_time, created_at)
            VALUES (@action, @instanceUuid, @requestId, @userId, @projectId, @now, @now)
            """, new { action, instanceUuid, requestId = CurrentRequestId(), userId, projectId, now }, transaction);

    /// <summary>The newest action of the instance (the one a host's events belong to when none is named).</summary>
    public static Task<long?> LatestAsync(DbTransaction transaction, string instanceUuid, string action) =>
        transaction.Connection!.ExecuteScalarAsync<long?>(
            "SELECT id FROM instance_actions WHERE instance_uuid = @instanceUuid AND action = @action ORDER BY id DESC LIMIT 1",
            new { instanceUuid, action }, transaction);

    /// <summary>A finished event on an action (a failed build on one host, recorded by the conductor).</summary>
    public static async Task AddFinishedEventAsync(DbTransaction transaction, long actionId, string name, string? host, string result, string? traceback, DateTime now)
    {
        await transaction.Connection!.ExecuteAsync("""
            INSERT INTO instance_actions_events (action_id, event, start_time, finish_time, result, traceback, host, created_at, updated_at)
            VALUES (@actionId, @name, @now, @now, @result, @traceback, @host, @now, @now)
            """, new { actionId, name, now, result, traceback, host }, transaction);
        if (result != "Success")
            await transaction.Connection!.ExecuteAsync("UPDATE instance_actions SET message = 'Error', updated_at = @now WHERE id = @actionId",
                new { actionId, now }, transaction);
    }

    /// <summary>
    /// An event started or finished on a host (nova's action_event_start and _finish). A finish
    /// closes the event the host started, or records it whole when the start was lost. Answers
    /// false when the instance has no action of that request id.
    /// </summary>
    public static async Task<bool> RecordEventAsync(DbTransaction transaction, RecordActionEvent m, DateTime now)
    {
        var c = transaction.Connection!;
        var actionId = await c.ExecuteScalarAsync<long?>(
            "SELECT id FROM instance_actions WHERE instance_uuid = @InstanceUuid AND request_id = @RequestId ORDER BY id DESC LIMIT 1 FOR UPDATE", m, transaction);
        if (actionId is null) return false;
        if (!m.Finished)
        {
            var open = await c.ExecuteScalarAsync<long?>("""
                SELECT id FROM instance_actions_events WHERE action_id = @actionId AND event = @Event AND host = @Host AND finish_time IS NULL LIMIT 1
                """, new { actionId, m.Event, m.Host }, transaction);
            if (open is null)
                await c.ExecuteAsync("""
                    INSERT INTO instance_actions_events (action_id, event, start_time, host, created_at, updated_at)
                    VALUES (@actionId, @Event, @now, @Host, @now, @now)
                    """, new { actionId, m.Event, m.Host, now }, transaction);
            return true;
        }
        var updated = await c.ExecuteAsync("""
            UPDATE instance_actions_events SET finish_time = @now, result = @Result, traceback = @Traceback, updated_at = @now
            WHERE action_id = @actionId AND event = @Event AND host = @Host AND finish_time IS NULL
            ORDER BY id DESC LIMIT 1
            """, new { actionId, m.Event, m.Host, m.Result, m.Traceback, now }, transaction);
        if (updated == 0)
            await c.ExecuteAsync("""
                INSERT INTO instance_actions_events (action_id, event, start_time, finish_time, result, traceback, host, created_at, updated_at)
                VALUES (@actionId, @Event, @now, @now, @Result, @Traceback, @Host, @now, @now)
                """, new { actionId, m.Event, m.Host, m.Result, m.Traceback, now }, transaction);
        await c.ExecuteAsync("""
            UPDATE instance_actions SET updated_at = @now, message = IF(@failed, 'Error', message),
              finish_time = IF(@failed, @now, finish_time)
            WHERE id = @actionId
            """, new { actionId, now, failed = m.Result is not null && m.Result != "Success" }, transaction);
        return true;
    }
}
