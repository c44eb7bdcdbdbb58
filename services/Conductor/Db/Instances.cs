using System.Data.Common;
using Conductor.Contracts;
using Dapper;
using Platform.Messaging.Outbox;

namespace Conductor.Db;

/// <summary>Reading and writing instances; every write bumps the version and publishes the instance.</summary>
public static class Instances
{
    public static async Task<InstanceRow?> GetAsync(DbConnection connection, string uuid, DbTransaction? transaction = null, bool forUpdate = false) =>
        await connection.QuerySingleOrDefaultAsync<InstanceRow>(
            $"SELECT {InstanceRow.Columns} FROM instances WHERE uuid = @uuid{(forUpdate ? " FOR UPDATE" : "")}", new { uuid }, transaction);

    /// <summary>The row held for the rest of <paramref name="transaction"/>.</summary>
    public static Task<InstanceRow?> LockAsync(DbTransaction transaction, string uuid) =>
        GetAsync(transaction.Connection!, uuid, transaction, forUpdate: true);

    /// <summary>Inserts a new instance; the caller publishes it (<see cref="PublishAsync"/>) once its first version is settled.</summary>
    public static async Task InsertAsync(DbTransaction transaction, InstanceRow row)
    {
        await transaction.Connection!.ExecuteAsync($"""
            INSERT INTO instances ({InstanceRow.Columns}) VALUES (
              @Uuid, @Version, @ProjectId, @UserId, @DisplayName, @DisplayDescription, @Hostname, @VmState, @TaskState, @PowerState,
              @Host, @Node, @AvailabilityZone, @Flavor, @ImageRef, @KeyName, @KeyData, @UserData, @Metadata, @NetworkInfo, @SecurityGroups,
              @Tags, @Locked, @LockedBy, @LockedReason, @LaunchIndex, @ReservationId, @ConfigDrive, @AccessIpV4, @AccessIpV6, @Progress,
              @Fault, @CreatedAt, @UpdatedAt, @LaunchedAt, @TerminatedAt, @Deleted, @DeletedAt, @BlockDeviceMapping, @LastChangeId)
            """, row, transaction);
    }

    public static Task PublishAsync(DbTransaction transaction, InstanceRow row, IOutbox outbox) =>
        outbox.FanoutAsync(transaction, new InstanceUpdated(row.ToInfo()));

    /// <summary>
    /// Writes <paramref name="row"/> as one new version (compare-and-set on the version it was
    /// read at) and publishes it in the same transaction. False when someone else changed it first.
    /// <paramref name="changeId"/> names the request that makes this version; every other write
    /// clears it, so only a repeat of the newest change is known as one.
    /// </summary>
    public static async Task<bool> SaveAsync(DbTransaction transaction, InstanceRow row, IOutbox outbox, DateTime now, string? changeId = null)
    {
        var previous = row.Version;
        var previousChangeId = row.LastChangeId;
        row.Version = previous + 1;
        row.UpdatedAt = now;
        row.LastChangeId = changeId;
        var changed = await transaction.Connection!.ExecuteAsync("""
            UPDATE instances SET version = @Version, display_name = @DisplayName, display_description = @DisplayDescription,
              hostname = @Hostname, vm_state = @VmState, task_state = @TaskState, power_state = @PowerState, host = @Host, node = @Node,
              availability_zone = @AvailabilityZone, flavor = @Flavor, image_ref = @ImageRef, metadata = @Metadata,
              network_info = @NetworkInfo, block_device_mapping = @BlockDeviceMapping, security_groups = @SecurityGroups, tags = @Tags, locked = @Locked, locked_by = @LockedBy,
              locked_reason = @LockedReason, progress = @Progress, fault = @Fault, updated_at = @UpdatedAt, launched_at = @LaunchedAt,
              terminated_at = @TerminatedAt, deleted = @Deleted, deleted_at = @DeletedAt, last_change_id = @LastChangeId
            WHERE uuid = @Uuid AND version = @previous
            """, new DynamicParameters(row).With("previous", previous), transaction);
        if (changed != 1)
        {
            row.Version = previous;
            row.LastChangeId = previousChangeId;
            return false;
        }
        await outbox.FanoutAsync(transaction, new InstanceUpdated(row.ToInfo()));
        return true;
    }

    /// <summary>Records a fault (nova's instance_faults) and shows it as the instance's newest.</summary>
    public static async Task AddFaultAsync(DbTransaction transaction, InstanceRow row, FaultInfo fault, string? host)
    {
        var message = fault.Message.Length > 255 ? fault.Message[..255] : fault.Message;
        await transaction.Connection!.ExecuteAsync("""
            INSERT INTO instance_faults (instance_uuid, code, message, details, host, created_at)
            VALUES (@uuid, @Code, @message, @Details, @host, @Created)
            """, new { uuid = row.Uuid, fault.Code, message, fault.Details, host, fault.Created }, transaction);
        row.Fault = Json.Write(fault);
    }

    private static DynamicParameters With(this DynamicParameters parameters, string name, object value)
    {
        parameters.Add(name, value);
        return parameters;
    }
}
