using System.Data;
using System.Data.Common;
using Conductor.Contracts;
using Conductor.Db;
using Dapper;
using MassTransit;
using Platform.Data;
using Platform.Messaging.Outbox;

namespace Conductor.Build;

/// <summary>
/// build_instances: creates each instance (building/scheduling, version 1) with its request spec
/// and its <c>create</c> action, then schedules those still waiting. A repeat of the message
/// creates nothing twice and schedules only what is still in scheduling; an instance deleted
/// before the message came (a tombstone) is created already deleted, so the API hears its end.
/// </summary>
public sealed class BuildInstancesConsumer(IDbConnectionFactory db, IOutbox outbox, BuildScheduler builds, TimeProvider time) : IConsumer<BuildInstances>
{
    /// <summary>MassTransit's retries of a message (see Platform.Messaging): the last one gives up.</summary>
    public const int LastRetry = 3;

    public async Task Consume(ConsumeContext<BuildInstances> context)
    {
        var m = context.Message;
        var uuids = m.Instances.Select(i => i.Uuid).ToList();
        if (uuids.Count == 0) return;
        var now = time.GetUtcNow().UtcDateTime;
        try
        {
            await CreateAsync(m, uuids, now, context.CancellationToken);
        }
        catch (DbException e) when (e.IsDuplicateKey())
        {
            // A repeat of this message, handled at the same moment, created them first.
        }
        await builds.ScheduleAsync(m, uuids, context.GetRetryAttempt() >= LastRetry, context.CancellationToken);
    }

    private async Task CreateAsync(BuildInstances m, List<string> uuids, DateTime now, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await using var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
        var existing = (await c.QueryAsync<string>("SELECT uuid FROM instances WHERE uuid IN @uuids", new { uuids }, tx)).ToHashSet();
        var rows = m.Instances.Where(i => !existing.Contains(i.Uuid)).Select(i => NewRow(m, i, now)).ToList();
        if (rows.Count == 0) return;
        foreach (var row in rows)
            await Instances.InsertAsync(tx, row);
        // Read after the insert, and locking: a delete that came first has its tombstone seen here,
        // and a delete that comes later waits for these rows and finds them (it writes the tombstone first).
        var created = rows.Select(r => r.Uuid).ToList();
        var tombstones = (await c.QueryAsync<string>("SELECT uuid FROM instance_tombstones WHERE uuid IN @created FOR UPDATE", new { created }, tx)).ToHashSet();
        foreach (var row in rows)
        {
            if (tombstones.Contains(row.Uuid))
            {
                row.VmState = VmStates.Deleted;
                row.TaskState = null;
                row.Deleted = true;
                row.DeletedAt = now;
                row.TerminatedAt = now;
                await c.ExecuteAsync("""
                    UPDATE instances SET vm_state = @VmState, task_state = NULL, deleted = TRUE, deleted_at = @DeletedAt, terminated_at = @TerminatedAt
                    WHERE uuid = @Uuid
                    """, row, tx);
            }
            var wanted = m.Instances.First(i => i.Uuid == row.Uuid);
            await Instances.PublishAsync(tx, row, outbox);
            await RequestSpecs.InsertAsync(tx, row.Uuid, m with { Instances = [wanted] }, now);
            await ActionRecords.StartAsync(tx, row.Uuid, InstanceActions.Create, m.UserId, m.ProjectId, now);
        }
        await outbox.CommitAsync(tx, cancellationToken);
    }

    private static InstanceRow NewRow(BuildInstances m, InstanceToBuild wanted, DateTime now) => new()
    {
        Uuid = wanted.Uuid,
        Version = 1,
        ProjectId = m.ProjectId,
        UserId = m.UserId,
        DisplayName = wanted.DisplayName,
        DisplayDescription = m.Description,
        Hostname = wanted.Hostname,
        VmState = VmStates.Building,
        TaskState = TaskStates.Scheduling,
        PowerState = Contracts.PowerStates.NoState,
        AvailabilityZone = m.AvailabilityZone,
        Flavor = Json.Write(m.Flavor),
        ImageRef = m.Image.Id ?? "",
        KeyName = m.KeyName,
        KeyData = m.KeyData,
        UserData = m.UserData,
        Metadata = Json.Write(m.Metadata),
        NetworkInfo = "[]",
        BlockDeviceMapping = Json.Write(wanted.BlockDevices),
        SecurityGroups = Json.Write(m.SecurityGroups),
        Tags = Json.Write(m.Tags),
        LaunchIndex = wanted.LaunchIndex,
        ReservationId = m.ReservationId,
        ConfigDrive = m.ConfigDrive,
        AccessIpV4 = m.AccessIpV4,
        AccessIpV6 = m.AccessIpV6,
        CreatedAt = now,
        UpdatedAt = now,
    };
}
