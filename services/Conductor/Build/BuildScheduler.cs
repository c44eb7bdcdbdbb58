using System.Data;
using ComputeAgent.Contracts;
using Conductor.Contracts;
using Conductor.Db;
using Dapper;
using Platform.Data;
using Platform.Messaging;
using Platform.Messaging.Outbox;
using Scheduler.Contracts;

namespace Conductor.Build;

/// <summary>
/// Picks hosts for instances still waiting in scheduling and starts their builds (nova's
/// schedule_and_build_instances after the instances exist). The instances' rows, and the server
/// group's row, are held from reading the group's hosts until the chosen hosts are recorded, so a
/// repeated message schedules nothing twice and two builds in one group see each other's hosts.
/// </summary>
public sealed class BuildScheduler(IDbConnectionFactory db, IOutbox outbox, SchedulerClient scheduler, ComputeAgentClient compute,
    TimeProvider time, ILogger<BuildScheduler> logger)
{
    /// <param name="giveUp">This is the message's last try: a scheduler that cannot be reached puts the instances in ERROR.</param>
    public async Task ScheduleAsync(BuildInstances build, IReadOnlyList<string> uuids, bool giveUp, CancellationToken cancellationToken)
    {
        if (uuids.Count == 0) return;
        await using var c = await db.OpenAsync(cancellationToken);
        await using var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
        var group = build.InstanceGroup;
        if (group is not null)
        {
            await c.ExecuteAsync("INSERT IGNORE INTO instance_group_locks (group_uuid) VALUES (@Uuid)", group, tx);
            await c.ExecuteAsync("SELECT group_uuid FROM instance_group_locks WHERE group_uuid = @Uuid FOR UPDATE", group, tx);
        }
        var sorted = uuids.Order(StringComparer.Ordinal).ToList();
        var rows = (await c.QueryAsync<InstanceRow>($"SELECT {InstanceRow.Columns} FROM instances WHERE uuid IN @sorted ORDER BY uuid FOR UPDATE",
            new { sorted }, tx)).ToDictionary(r => r.Uuid);
        // In request order; only those nobody scheduled yet (a repeat finds them placed already).
        var pending = uuids.Select(u => rows.GetValueOrDefault(u))
            .Where(r => r is { Deleted: false, Host: null, VmState: VmStates.Building, TaskState: TaskStates.Scheduling })
            .Select(r => r!).ToList();
        if (pending.Count == 0)
        {
            await tx.CommitAsync(cancellationToken);
            return;
        }

        if (group is not null)
        {
            var pendingIds = pending.Select(r => r.Uuid).ToList();
            var members = build.InstanceGroupMembers.Except(pendingIds).ToList();
            var hosts = await c.QueryAsync<string>("""
                SELECT i.host FROM instances i WHERE i.deleted = 0 AND i.host IS NOT NULL AND i.uuid NOT IN @pendingIds
                  AND (i.uuid IN @members OR i.uuid IN (SELECT s.instance_uuid FROM request_specs s WHERE s.instance_group = @groupUuid))
                """, new { pendingIds, members = members.Count == 0 ? [""] : members, groupUuid = group.Uuid }, tx);
            group = group with { Hosts = [.. hosts] };
        }

        var now = time.GetUtcNow().UtcDateTime;
        var spec = new RequestSpec
        {
            InstanceUuid = pending[0].Uuid,
            ProjectId = build.ProjectId,
            UserId = build.UserId,
            Flavor = build.Flavor,
            Image = build.Image,
            AvailabilityZone = build.AvailabilityZone,
            InstanceGroup = group,
            SchedulerHints = build.SchedulerHints,
            RequestedHost = build.RequestedHost,
            IsBfv = string.IsNullOrEmpty(build.Image.Id),
        };
        IReadOnlyList<IReadOnlyList<Selection>> selections;
        try
        {
            selections = await scheduler.CallSelectDestinationsAsync(new SelectDestinations { Spec = spec, InstanceUuids = [.. pending.Select(r => r.Uuid)] }, cancellationToken);
            if (selections.Count != pending.Count || selections.Any(s => s.Count == 0))
                throw new NoValidHostException($"The scheduler answered {selections.Count} selections for {pending.Count} instances.");
        }
        catch (NoValidHostException e)
        {
            logger.LogInformation("no valid host for {Instances}: {Reason}", string.Join(',', pending.Select(r => r.Uuid)), e.Reason);
            foreach (var row in pending)
                await BuildFaults.SetErrorAsync(tx, row, e.Message, null, outbox, now);
            await outbox.CommitAsync(tx, cancellationToken);
            return;
        }
        catch (RpcException e) when (giveUp)
        {
            logger.LogWarning(e, "scheduling {Instances} failed for good", string.Join(',', pending.Select(r => r.Uuid)));
            foreach (var row in pending)
                await BuildFaults.SetErrorAsync(tx, row, "No valid host was found. The scheduler could not be reached.", e.Message, outbox, now);
            await outbox.CommitAsync(tx, cancellationToken);
            return;
        }

        for (var i = 0; i < pending.Count; i++)
        {
            var row = pending[i];
            var primary = selections[i][0];
            row.Host = primary.ServiceHost;
            row.Node = primary.Nodename;
            row.AvailabilityZone = primary.AvailabilityZone ?? build.AvailabilityZone ?? row.AvailabilityZone;
            if (!await Instances.SaveAsync(tx, row, outbox, now))
                throw new InvalidOperationException($"instance {row.Uuid} changed while locked");
            await RequestSpecs.RecordAttemptAsync(tx, row.Uuid, selections[i], [primary.ServiceHost], 1, now);
            await compute.CastBuildAndRunInstanceAsync(tx, primary.ServiceHost, BuildMessage(row, build, primary.Nodename, 1), cancellationToken);
        }
        await outbox.CommitAsync(tx, cancellationToken);
    }

    public static BuildAndRunInstance BuildMessage(InstanceRow row, BuildInstances build, string node, int attempt) => new()
    {
        Instance = row.ToInfo(),
        Image = build.Image,
        Node = node,
        Networks = build.Networks,
        NoNetworks = build.NoNetworks,
        SecurityGroups = build.SecurityGroups,
        Attempt = attempt,
    };
}
