using System.Data;
using ComputeAgent.Contracts;
using Conductor.Contracts;
using Conductor.Db;
using Conductor.Placement;
using MassTransit;
using Platform.Data;
using Platform.Messaging.Outbox;

namespace Conductor.Build;

/// <summary>
/// A build failed on a host: record why, then claim the next alternate not yet tried and build
/// there, or, with none left or the attempts used up, put the instance in ERROR and release its
/// allocation. A repeat of the message finds the instance gone from the failed host and does nothing.
/// </summary>
public sealed class RescheduleBuildConsumer(IDbConnectionFactory db, IOutbox outbox, ComputeAgentClient compute, PlacementCalls placement,
    IConfiguration configuration, TimeProvider time, ILogger<RescheduleBuildConsumer> logger) : IConsumer<RescheduleBuild>
{
    public const int DefaultMaxAttempts = 3;

    public async Task Consume(ConsumeContext<RescheduleBuild> context)
    {
        var m = context.Message;
        var maxAttempts = int.TryParse(configuration["scheduler:max_attempts"], out var configured) && configured > 0 ? configured : DefaultMaxAttempts;
        var now = time.GetUtcNow().UtcDateTime;
        await using var c = await db.OpenAsync(context.CancellationToken);
        await using var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted, context.CancellationToken);
        var row = await Instances.LockAsync(tx, m.InstanceUuid);
        var spec = await RequestSpecs.LockAsync(tx, m.InstanceUuid);
        // The failed host is the one the instance is on, or was last sent to when the host let go of it already.
        var onFailedHost = row?.Host is { } host ? host == m.FailedHost : spec?.Tried.LastOrDefault() == m.FailedHost;
        if (row is null || spec is null || row.Deleted || !onFailedHost || row.VmState != VmStates.Building || row.TaskState == TaskStates.Deleting)
        {
            logger.LogInformation("reschedule of {Instance} from {Host} is stale; ignored", m.InstanceUuid, m.FailedHost);
            await tx.CommitAsync(context.CancellationToken);
            return;
        }

        var build = spec.Build;
        var tried = spec.Tried;
        if (!tried.Contains(m.FailedHost)) tried.Add(m.FailedHost);
        var attempts = Math.Max(spec.Attempts, 1);
        if (await ActionRecords.LatestAsync(tx, row.Uuid, InstanceActions.Create) is { } actionId)
            await ActionRecords.AddFinishedEventAsync(tx, actionId, "conductor_reschedule_build", m.FailedHost, "Error", m.Reason, now);
        await Instances.AddFaultAsync(tx, row, new FaultInfo(500, m.Reason, $"Build of instance {row.Uuid} failed on host {m.FailedHost}; rescheduling.", now), m.FailedHost);

        Scheduler.Contracts.Selection? next = null;
        if (attempts < maxAttempts)
        {
            foreach (var alternate in spec.SelectionList.Where(s => !tried.Contains(s.ServiceHost)))
            {
                tried.Add(alternate.ServiceHost);
                var (claimed, reason) = await placement.ClaimAsync(row.Uuid, row.ProjectId, row.UserId, alternate, context.CancellationToken);
                if (claimed)
                {
                    next = alternate;
                    break;
                }
                logger.LogInformation("alternate {Host} for {Instance} could not be claimed: {Reason}", alternate.ServiceHost, row.Uuid, reason);
            }
        }

        if (next is null)
        {
            var message = attempts >= maxAttempts
                ? $"No valid host was found. Exceeded max scheduling attempts {maxAttempts} for instance {row.Uuid}. Last exception: {m.Reason}"
                : $"No valid host was found. Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for instance {row.Uuid}. Last exception: {m.Reason}";
            await BuildFaults.SetErrorAsync(tx, row, message, m.Reason, outbox, now);
            await RequestSpecs.RecordAttemptAsync(tx, row.Uuid, null, tried, attempts, now);
            // Released before commit: a redelivery after a crash here finds the instance still on the failed host and releases again.
            // On the message's last try a placement that cannot be reached leaves the claim behind rather than the instance building.
            try
            {
                await placement.DeleteAllocationsAsync(row.Uuid, context.CancellationToken);
            }
            catch (Exception e) when (context.GetRetryAttempt() >= BuildInstancesConsumer.LastRetry)
            {
                logger.LogWarning(e, "could not release the allocation of {Instance}", row.Uuid);
            }
            await outbox.CommitAsync(tx, context.CancellationToken);
            return;
        }

        row.Host = next.ServiceHost;
        row.Node = next.Nodename;
        row.AvailabilityZone = next.AvailabilityZone ?? row.AvailabilityZone;
        row.VmState = VmStates.Building;
        row.TaskState = TaskStates.Scheduling;
        if (!await Instances.SaveAsync(tx, row, outbox, now))
            throw new InvalidOperationException($"instance {row.Uuid} changed while locked");
        await RequestSpecs.RecordAttemptAsync(tx, row.Uuid, null, tried, attempts + 1, now);
        await compute.CastBuildAndRunInstanceAsync(tx, next.ServiceHost, BuildScheduler.BuildMessage(row, build, next.Nodename, attempts + 1), context.CancellationToken);
        await outbox.CommitAsync(tx, context.CancellationToken);
    }
}
