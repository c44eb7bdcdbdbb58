using ComputeAgent.Contracts;
using Conductor.Contracts;
using Dapper;
using MassTransit;
using Platform.Data;

namespace Conductor.Agents;

/// <summary>os-server-external-events: each event to its instance's host; events of instances on no host are dropped.</summary>
public sealed class ExternalInstanceEventsConsumer(IDbConnectionFactory db, ComputeAgentClient compute, ILogger<ExternalInstanceEventsConsumer> logger)
    : IConsumer<ExternalInstanceEvents>
{
    public async Task Consume(ConsumeContext<ExternalInstanceEvents> context)
    {
        var events = context.Message.Events;
        var uuids = events.Select(e => e.InstanceUuid).Distinct().ToList();
        if (uuids.Count == 0) return;
        Dictionary<string, string> hosts;
        await using (var c = await db.OpenAsync(context.CancellationToken))
            hosts = (await c.QueryAsync<(string Uuid, string Host)>(
                "SELECT uuid, host FROM instances WHERE uuid IN @uuids AND deleted = 0 AND host IS NOT NULL", new { uuids })).ToDictionary(r => r.Uuid, r => r.Host);
        foreach (var e in events)
        {
            if (!hosts.TryGetValue(e.InstanceUuid, out var host))
            {
                logger.LogInformation("dropping {Event} for {Instance}: it is on no host", e.Name, e.InstanceUuid);
                continue;
            }
            await compute.CastExternalInstanceEventAsync(host, new ExternalInstanceEvent(e.InstanceUuid, e.Name, e.Tag, e.Status), context.CancellationToken);
        }
    }
}
