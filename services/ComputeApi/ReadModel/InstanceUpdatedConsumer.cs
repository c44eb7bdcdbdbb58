using ComputeApi.ServerGroups;
using Conductor.Contracts;
using Dapper;
using MassTransit;
using Platform.Data;

namespace ComputeApi.ReadModel;

/// <summary>
/// Keeps the API's read model of instances current from the conductor's instance events: a
/// snapshot is applied only over an older version; once the conductor owns the instance
/// (version 1 on) its build request is done with, and once it is deleted it leaves its server group.
/// </summary>
public sealed class InstanceUpdatedConsumer(IDbConnectionFactory db) : IConsumer<InstanceUpdated>
{
    public async Task Consume(ConsumeContext<InstanceUpdated> context)
    {
        var instance = context.Message.Instance;
        var ct = context.CancellationToken;
        await using var c = await db.OpenAsync(ct);
        if (!instance.Deleted)
        {
            // One round trip: the snapshot, and the build request's end once the conductor has the instance.
            await InstanceStore.WriteAsync(c, instance,
                andThen: instance.Version >= 1 ? "DELETE FROM build_requests WHERE instance_uuid = @Uuid;" : "", cancellationToken: ct);
            return;
        }
        await using var tx = await c.BeginTransactionAsync(ct);
        await InstanceStore.WriteAsync(c, instance, tx, cancellationToken: ct);
        await c.ExecuteAsync(new CommandDefinition("DELETE FROM build_requests WHERE instance_uuid = @Uuid", instance, tx, cancellationToken: ct));
        await ServerGroupLookup.RemoveMemberAsync(tx, instance.Uuid, ct);
        await tx.CommitAsync(ct);
    }
}
