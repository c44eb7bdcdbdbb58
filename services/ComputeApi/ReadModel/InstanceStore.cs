using System.Data.Common;
using System.Text.Json;
using Conductor.Contracts;
using Dapper;

namespace ComputeApi.ReadModel;

/// <summary>
/// The API's read model of instances: one row per instance at the highest version seen, filter
/// columns beside the whole instance (as JSON). Writes never go back in version, so events may
/// arrive late, twice or out of order.
/// </summary>
public static class InstanceStore
{
    private static readonly JsonSerializerOptions Json = new();

    private const string Assignments = """
        project_id = IF(@Version > version, VALUES(project_id), project_id),
        user_id = IF(@Version > version, VALUES(user_id), user_id),
        display_name = IF(@Version > version, VALUES(display_name), display_name),
        vm_state = IF(@Version > version, VALUES(vm_state), vm_state),
        task_state = IF(@Version > version, VALUES(task_state), task_state),
        power_state = IF(@Version > version, VALUES(power_state), power_state),
        host = IF(@Version > version, VALUES(host), host),
        node = IF(@Version > version, VALUES(node), node),
        availability_zone = IF(@Version > version, VALUES(availability_zone), availability_zone),
        flavor_id = IF(@Version > version, VALUES(flavor_id), flavor_id),
        vcpus = IF(@Version > version, VALUES(vcpus), vcpus),
        memory_mb = IF(@Version > version, VALUES(memory_mb), memory_mb),
        image_ref = IF(@Version > version, VALUES(image_ref), image_ref),
        key_name = IF(@Version > version, VALUES(key_name), key_name),
        reservation_id = IF(@Version > version, VALUES(reservation_id), reservation_id),
        locked = IF(@Version > version, VALUES(locked), locked),
        ips = IF(@Version > version, VALUES(ips), ips),
        tags = IF(@Version > version, VALUES(tags), tags),
        data = IF(@Version > version, VALUES(data), data),
        updated_at = IF(@Version > version, VALUES(updated_at), updated_at),
        launched_at = IF(@Version > version, VALUES(launched_at), launched_at),
        terminated_at = IF(@Version > version, VALUES(terminated_at), terminated_at),
        deleted = IF(@Version > version, VALUES(deleted), deleted),
        deleted_at = IF(@Version > version, VALUES(deleted_at), deleted_at),
        version = IF(@Version > version, VALUES(version), version)
        """;

    /// <summary>
    /// Writes <paramref name="instance"/> unless a version at least as new is already there.
    /// <paramref name="andThen"/> is more SQL sent with the write in the same round trip (its
    /// parameters are the instance's, e.g. <c>@Uuid</c>).
    /// </summary>
    public static async Task WriteAsync(DbConnection c, InstanceInfo instance, DbTransaction? tx = null, string andThen = "",
        CancellationToken cancellationToken = default)
    {
        var row = new
        {
            instance.Uuid, instance.Version, instance.ProjectId, instance.UserId, instance.DisplayName, instance.VmState, instance.TaskState, instance.PowerState,
            instance.Host, instance.Node, instance.AvailabilityZone, FlavorId = instance.Flavor.Id, instance.Flavor.Vcpus, instance.Flavor.MemoryMb,
            instance.ImageRef, instance.KeyName, instance.ReservationId, instance.Locked,
            Ips = " " + string.Join(' ', instance.NetworkInfo.SelectMany(v => v.Addresses).Select(a => a.Address)) + " ",
            Tags = "," + string.Join(',', instance.Tags) + ",",
            Data = JsonSerializer.Serialize(instance, Json),
            CreatedAt = instance.CreatedAt == default ? DateTime.UtcNow : instance.CreatedAt,
            instance.UpdatedAt, instance.LaunchedAt, instance.TerminatedAt, instance.Deleted, instance.DeletedAt,
        };
        await c.ExecuteAsync(new CommandDefinition($"""
            INSERT INTO instances (uuid, version, project_id, user_id, display_name, vm_state, task_state, power_state, host, node, availability_zone,
              flavor_id, vcpus, memory_mb, image_ref, key_name, reservation_id, locked, ips, tags, data, created_at, updated_at, launched_at, terminated_at, deleted, deleted_at)
            VALUES (@Uuid, @Version, @ProjectId, @UserId, @DisplayName, @VmState, @TaskState, @PowerState, @Host, @Node, @AvailabilityZone,
              @FlavorId, @Vcpus, @MemoryMb, @ImageRef, @KeyName, @ReservationId, @Locked, @Ips, @Tags, @Data, @CreatedAt, @UpdatedAt, @LaunchedAt, @TerminatedAt, @Deleted, @DeletedAt)
            ON DUPLICATE KEY UPDATE
            {Assignments};
            {andThen}
            """, row, tx, cancellationToken: cancellationToken));
    }

    /// <summary>What a query selects to <see cref="Read"/> an instance.</summary>
    public const string Columns = "data, created_at";

    /// <summary>
    /// An instance from its row. created_at stays the API's, from the create: the server was
    /// created when it was accepted, and lists sorted by it do not reorder as events arrive.
    /// </summary>
    public static InstanceInfo Read((string Data, DateTime CreatedAt) row) =>
        JsonSerializer.Deserialize<InstanceInfo>(row.Data, Json)! with { CreatedAt = DateTime.SpecifyKind(row.CreatedAt, DateTimeKind.Utc) };

    public static async Task<InstanceInfo?> GetAsync(DbConnection c, string uuid, DbTransaction? tx = null)
    {
        var row = await c.QuerySingleOrDefaultAsync<(string Data, DateTime CreatedAt)>($"SELECT {Columns} FROM instances WHERE uuid = @uuid", new { uuid }, tx);
        return row.Data is null ? null : Read(row);
    }
}
