using System.Data.Common;
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
}
