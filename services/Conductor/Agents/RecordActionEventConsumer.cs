using System.Data;
using Conductor.Contracts;
using Conductor.Db;
using MassTransit;
using Platform.Data;

namespace Conductor.Agents;

/// <summary>
/// An event of an instance action started or finished on a host, on its own (see <see cref="ActionRecords.RecordEventAsync"/>).
/// </summary>
public sealed class RecordActionEventConsumer(IDbConnectionFactory db, TimeProvider time) : IConsumer<RecordActionEvent>
{
    public async Task Consume(ConsumeContext<RecordActionEvent> context)
    {
        var m = context.Message;
        var now = time.GetUtcNow().UtcDateTime;
        await using var c = await db.OpenAsync(context.CancellationToken);
        await using var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted, context.CancellationToken);
        var recorded = await ActionRecords.RecordEventAsync(tx, m, now);
        await tx.CommitAsync(context.CancellationToken);
        await context.RespondAsync(new RecordActionEventReply(recorded));
    }
}
