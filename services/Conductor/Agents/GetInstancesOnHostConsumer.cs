using Conductor.Contracts;
using Conductor.Db;
using Dapper;
using MassTransit;
using Platform.Data;

namespace Conductor.Agents;

/// <summary>The instances a host should run: what a restarted agent reconciles its driver with.</summary>
public sealed class GetInstancesOnHostConsumer(IDbConnectionFactory db) : IConsumer<GetInstancesOnHost>
{
    public async Task Consume(ConsumeContext<GetInstancesOnHost> context)
    {
        await using var c = await db.OpenAsync(context.CancellationToken);
        var rows = await c.QueryAsync<InstanceRow>($"SELECT {InstanceRow.Columns} FROM instances WHERE host = @Host AND deleted = 0 ORDER BY created_at",
            context.Message);
        await context.RespondAsync(new InstancesOnHostReply([.. rows.Select(r => r.ToInfo())]));
    }
}
