using Dapper;
using Grpc.Core;
using Platform.Data;
using Scheduler.Contracts.Placement;
using PlacementClient = Scheduler.Contracts.Placement.Placement.PlacementClient;

namespace ComputeApi.Aggregates;

/// <summary>
/// Tells placement about aggregates, whole, after each change has been committed, so the
/// scheduler's AvailabilityZoneFilter and aggregate filters see them. A push that fails stays
/// owed (pushed_at behind changed_at) and is retried after the next change and at start-up;
/// the API call that made the change still succeeds.
/// </summary>
public sealed class AggregatePusher(IDbConnectionFactory db, PlacementClient placement, ILogger<AggregatePusher> logger) : IDisposable
{
    // One push at a time per process, so an older state never overtakes a newer one.
    private readonly SemaphoreSlim gate = new(1, 1);

    /// <summary>Pushes every aggregate whose last change placement has not seen. True when nothing is left owed.</summary>
    public async Task<bool> PushPendingAsync(CancellationToken cancellationToken = default)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            await using var c = await db.OpenAsync(cancellationToken);
            var owed = (await c.QueryAsync<(int Id, DateTime ChangedAt)>(
                "SELECT id, changed_at FROM aggregates WHERE pushed_at IS NULL OR pushed_at < changed_at ORDER BY id")).ToList();
            var clean = true;
            foreach (var (id, changedAt) in owed)
            {
                try
                {
                    var aggregate = await Aggregate.LoadAsync(c, null, id, includeDeleted: true);
                    if (aggregate is null) continue;
                    if (aggregate.Deleted)
                    {
                        await placement.DeleteAggregateAsync(new DeleteAggregateRequest { Uuid = aggregate.Uuid },
                            deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: cancellationToken);
                        await c.ExecuteAsync("""
                            DELETE FROM aggregate_metadata WHERE aggregate_id = @id;
                            DELETE FROM aggregate_hosts WHERE aggregate_id = @id;
                            DELETE FROM aggregates WHERE id = @id AND deleted AND changed_at = @changedAt;
                            """, new { id, changedAt });
                        continue;
                    }
                    var request = new PutAggregateRequest { Uuid = aggregate.Uuid, Name = aggregate.Name, AvailabilityZone = aggregate.AvailabilityZone ?? "" };
                    request.Hosts.AddRange(aggregate.Hosts);
                    request.Metadata.Add(aggregate.AllMetadata());
                    await placement.PutAggregateAsync(request, deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: cancellationToken);
                    await c.ExecuteAsync("UPDATE aggregates SET pushed_at = @changedAt WHERE id = @id AND changed_at = @changedAt", new { id, changedAt });
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    clean = false;
                    logger.LogWarning("aggregate {Id} not pushed to placement yet ({Error}); retried on the next change", id, e is RpcException r ? $"{r.StatusCode}: {r.Status.Detail}" : e.Message);
                }
            }
            return clean;
        }
        finally
        {
            gate.Release();
        }
    }

    public void Dispose() => gate.Dispose();

    /// <summary>Marks every aggregate owed, for the start-up reconciliation.</summary>
    public async Task MarkAllOwedAsync(CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await c.ExecuteAsync(new CommandDefinition("UPDATE aggregates SET pushed_at = NULL", cancellationToken: cancellationToken));
    }
}

/// <summary>At start-up, pushes every aggregate to placement (placement may have lost or missed some), retrying until it answers.</summary>
public sealed class AggregateReconciler(AggregatePusher pusher, ILogger<AggregateReconciler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        var marked = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!marked)
                {
                    await pusher.MarkAllOwedAsync(stoppingToken);
                    marked = true;
                }
                if (await pusher.PushPendingAsync(stoppingToken)) return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The database may not be synced yet at first start.
                logger.LogInformation("aggregate reconciliation deferred: {Error}", e.Message);
            }
            await Task.Delay(delay, stoppingToken);
            delay = TimeSpan.FromSeconds(Math.Min(60, delay.TotalSeconds * 2));
        }
    }
}
