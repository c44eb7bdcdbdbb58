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
    /// false when the instance has no action of that request id. One round trip: it is on the way
    /// of every build and action.
    /// </summary>
    public static async Task<bool> RecordEventAsync(DbTransaction transaction, RecordActionEvent m, DateTime now)
    {
        const string action = "(SELECT id FROM instance_actions WHERE instance_uuid = @InstanceUuid AND request_id = @RequestId ORDER BY id DESC LIMIT 1)";
        var sql = !m.Finished
            ? $"""
                INSERT INTO instance_actions_events (action_id, event, start_time, host, created_at, updated_at)
                SELECT a.id, @Event, @now, @Host, @now, @now FROM {action} a
                WHERE NOT EXISTS (SELECT 1 FROM instance_actions_events e WHERE e.action_id = a.id AND e.event = @Event AND e.host = @Host AND e.finish_time IS NULL);
                SELECT id FROM {action} a;
                """
            // The event the host started is closed (finish_time = @now); only if there was none is it recorded whole.
            : $"""
                UPDATE instance_actions_events e JOIN {action} a ON e.action_id = a.id
                SET e.finish_time = @now, e.result = @Result, e.traceback = @Traceback, e.updated_at = @now
                WHERE e.event = @Event AND e.host = @Host AND e.finish_time IS NULL;
                INSERT INTO instance_actions_events (action_id, event, start_time, finish_time, result, traceback, host, created_at, updated_at)
                SELECT a.id, @Event, @now, @now, @Result, @Traceback, @Host, @now, @now FROM {action} a
                WHERE NOT EXISTS (SELECT 1 FROM instance_actions_events e WHERE e.action_id = a.id AND e.event = @Event AND e.host = @Host AND e.finish_time = @now);
                UPDATE instance_actions i JOIN {action} a ON i.id = a.id
                SET i.updated_at = @now, i.message = IF(@failed, 'Error', i.message), i.finish_time = IF(@failed, @now, i.finish_time);
                SELECT id FROM {action} a;
                """;
        var actionId = await transaction.Connection!.ExecuteScalarAsync<long?>(sql, new
        {
            m.InstanceUuid, m.RequestId, m.Event, m.Host, m.Result, m.Traceback, now, failed = m.Result is not null && m.Result != "Success",
        }, transaction);
        return actionId is not null;
    }
}
