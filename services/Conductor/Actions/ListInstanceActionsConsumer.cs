using Conductor.Contracts;
using Dapper;
using MassTransit;
using Platform.Data;

namespace Conductor.Actions;

/// <summary>os-instance-actions: an instance's actions, newest first, each with its events.</summary>
public sealed class ListInstanceActionsConsumer(IDbConnectionFactory db) : IConsumer<ListInstanceActions>
{
    private sealed record ActionRow(long Id, string Action, string InstanceUuid, string RequestId, string? UserId, string? ProjectId,
        DateTime StartTime, DateTime? UpdatedAt, string? Message);

    private sealed record EventRow(long ActionId, string Event, DateTime StartTime, DateTime? FinishTime, string? Result, string? Traceback, string? Host);

    public async Task Consume(ConsumeContext<ListInstanceActions> context)
    {
        var uuid = context.Message.InstanceUuid;
        await using var c = await db.OpenAsync(context.CancellationToken);
        if (await c.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM instances WHERE uuid = @uuid", new { uuid }) == 0)
        {
            await context.RespondAsync(new InstanceActionsReply([], NotFound: true));
            return;
        }
        var actions = (await c.QueryAsync<ActionRow>("""
            SELECT id, action, instance_uuid, request_id, user_id, project_id, start_time, updated_at, message
            FROM instance_actions WHERE instance_uuid = @uuid ORDER BY start_time DESC, id DESC
            """, new { uuid })).ToList();
        var ids = actions.Select(a => a.Id).ToList();
        var events = (await c.QueryAsync<EventRow>("""
            SELECT action_id, event, start_time, finish_time, result, traceback, host FROM instance_actions_events
            WHERE action_id IN @ids ORDER BY start_time, id
            """, new { ids })).ToLookup(e => e.ActionId);
        await context.RespondAsync(new InstanceActionsReply([.. actions.Select(a => new InstanceActionInfo(a.Action, a.InstanceUuid, a.RequestId, a.UserId, a.ProjectId,
            Utc(a.StartTime), a.UpdatedAt is { } u ? Utc(u) : null, a.Message,
            [.. events[a.Id].Select(e => new InstanceActionEventInfo(e.Event, Utc(e.StartTime), e.FinishTime is { } f ? Utc(f) : null, e.Result, e.Traceback, e.Host))]))]));
    }

    private static DateTime Utc(DateTime t) => DateTime.SpecifyKind(t, DateTimeKind.Utc);
}
