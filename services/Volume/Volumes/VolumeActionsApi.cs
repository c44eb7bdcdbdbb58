using System.Data;
using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Platform.Data;
using Volume.Attachments;
using Volume.Common;
using Volume.Contracts;
using Volume.Quotas;

namespace Volume.Volumes;

/// <summary>
/// POST /volumes/{id}/action: extend, the admin's reset_status and force_delete, bootable and
/// read-only flags, image metadata, and the legacy attach actions (os-reserve, os-attach,
/// os-begin_detaching, os-detach, os-initialize_connection, os-terminate_connection, ...) that
/// attach a volume without the attachments API. Each moves the volume from the states cinder
/// allows, in one conditional update; from any other it is cinder's 400 and nothing changes.
/// </summary>
public static class VolumeActionsApi
{
    public static void MapVolumeActions(this RouteGroupBuilder v3) => v3.MapPost("/volumes/{id}/action", ActAsync);

    private static async Task<IResult> ActAsync(string id, HttpContext http, IDbConnectionFactory db, CinderAuthz authz, QuotaCheck quotas,
        VolumeBackendClient backends, TimeProvider time)
    {
        var body = await CinderBody.ReadAsync(http.Request);
        if (body.Count != 1) throw CinderErrors.BadRequest("There is no such action: " + string.Join(",", body.Select(kv => kv.Key)));
        var (action, args) = (body.First().Key, body.First().Value);
        var now = time.GetUtcNow().UtcDateTime;
        await using var c = await db.OpenAsync();
        switch (action)
        {
            case "os-extend": return await ExtendAsync(c, id, args, authz, quotas, backends, http, now);
            case "os-reset_status": return await ResetStatusAsync(c, id, args, authz, now);
            case "os-force_delete":
            {
                await using var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted);
                var row = await VolumesApi.VisibleAsync(c, id, authz, "volume_extension:volume_admin_actions:force_delete", tx, forUpdate: true);
                await VolumesApi.DeleteRowAsync(tx, row, backends, now, force: true, cascade: false, authz.IsAdmin);
                await tx.CommitAsync();
                backends.Flush();
                return Results.StatusCode(202);
            }
            case "os-set_bootable":
            {
                var bootable = Flag(args, "bootable");
                var row = await VolumesApi.VisibleAsync(c, id, authz, VolumesApi.UpdateRule);
                await c.ExecuteAsync("UPDATE volumes SET bootable = @bootable, updated_at = @now WHERE id = @id", new { id, bootable, now });
                return Results.Ok();
            }
            case "os-update_readonly_flag":
            {
                var readOnly = Flag(args, "readonly");
                var row = await VolumesApi.VisibleAsync(c, id, authz, "volume:update_readonly_flag");
                if (row.Status != VolumeStatus.Available && row.Status != VolumeStatus.InUse)
                    throw CinderErrors.InvalidVolume($"Volume {id} status must be available or in-use, but current status is: {row.Status}.");
                await c.ExecuteAsync("""
                    INSERT INTO volume_admin_metadata (volume_id, meta_key, meta_value, created_at) VALUES (@id, 'readonly', @value, @now)
                    ON DUPLICATE KEY UPDATE meta_value = VALUES(meta_value), updated_at = @now
                    """, new { id, value = readOnly ? "True" : "False", now });
                return Results.Accepted();
            }
            case "os-set_image_metadata":
            {
                var metadata = VolumesApi.Metadata(args as JsonObject ?? [], "metadata") ?? throw CinderErrors.BadRequest("'metadata' is a required property");
                await VolumesApi.VisibleAsync(c, id, authz, "volume_extension:volume_image_metadata:set");
                await using var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted);
                foreach (var (key, value) in metadata)
                {
                    await c.ExecuteAsync("DELETE FROM volume_glance_metadata WHERE volume_id = @id AND meta_key = @key", new { id, key }, tx);
                    await c.ExecuteAsync("INSERT INTO volume_glance_metadata (volume_id, meta_key, meta_value, created_at) VALUES (@id, @key, @value, @now)",
                        new { id, key, value, now }, tx);
                }
                await tx.CommitAsync();
                return Results.Json(new JsonObject { ["metadata"] = VolumeView.Map(await ImageMetadataAsync(c, id)) });
            }
            case "os-unset_image_metadata":
            {
                var key = (args as JsonObject)?["key"]?.GetValue<string>() ?? throw CinderErrors.BadRequest("'key' is a required property");
                await VolumesApi.VisibleAsync(c, id, authz, "volume_extension:volume_image_metadata:remove");
                var removed = await c.ExecuteAsync("DELETE FROM volume_glance_metadata WHERE volume_id = @id AND meta_key = @key", new { id, key });
                if (removed == 0) throw CinderErrors.NotFound($"Glance metadata for volume/snapshot {id} cannot be found.");
                return Results.Ok();
            }
            case "os-show_image_metadata":
                await VolumesApi.VisibleAsync(c, id, authz, VolumeView.ImageMetadataShowRule);
                return Results.Json(new JsonObject { ["metadata"] = VolumeView.Map(await ImageMetadataAsync(c, id)) });
            case "os-reserve":
                await TransitionAsync(c, id, authz, "volume_extension:volume_actions:reserve", [VolumeStatus.Available], VolumeStatus.Attaching, now,
                    row => $"Volume status must be available to reserve, but the status is {row.Status}.");
                return Results.Accepted();
            case "os-unreserve":
                await TransitionAsync(c, id, authz, "volume_extension:volume_actions:unreserve", [VolumeStatus.Attaching], VolumeStatus.Available, now, null);
                return Results.Accepted();
            case "os-begin_detaching":
                await TransitionAsync(c, id, authz, "volume_extension:volume_actions:begin_detaching", [VolumeStatus.InUse], VolumeStatus.Detaching, now,
                    row => $"Unable to detach volume. Volume status must be 'in-use' and attach_status must be 'attached' to detach.");
                return Results.Accepted();
            case "os-roll_detaching":
                await TransitionAsync(c, id, authz, "volume_extension:volume_actions:roll_detaching", [VolumeStatus.Detaching], VolumeStatus.InUse, now, null);
                return Results.Accepted();
            case "os-initialize_connection":
            {
                var connector = Connector(args);
                var row = await VolumesApi.VisibleAsync(c, id, authz, "volume_extension:volume_actions:initialize_connection");
                if (row.Host is null) throw CinderErrors.InvalidVolume($"Volume {id} has no backend yet.");
                var info = await backends.CallInitializeConnectionAsync(row.Host, new InitializeConnection(id, connector), http.RequestAborted);
                return Results.Json(new JsonObject { ["connection_info"] = AttachmentsApi.ConnectionJson(info) });
            }
            case "os-terminate_connection":
            {
                var connector = Connector(args);
                var row = await VolumesApi.VisibleAsync(c, id, authz, "volume_extension:volume_actions:terminate_connection");
                if (row.Host is not null) await backends.CallTerminateConnectionAsync(row.Host, new TerminateConnection(id, connector), http.RequestAborted);
                return Results.Accepted();
            }
            case "os-attach": return await AttachAsync(c, id, args as JsonObject ?? [], authz, now);
            case "os-detach": return await DetachAsync(c, id, args as JsonObject ?? [], authz, now);
            default:
                throw CinderErrors.BadRequest($"There is no such action: {action}");
        }
    }

    private static async Task<IResult> ExtendAsync(DbConnection c, string id, JsonNode? args, CinderAuthz authz, QuotaCheck quotas, VolumeBackendClient backends,
        HttpContext http, DateTime now)
    {
        var newSize = (args as JsonObject)?["new_size"] is { } n ? VolumesApi.Size(n, "new_size") : throw CinderErrors.BadRequest("'new_size' is a required property");
        await using var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted);
        var peek = await VolumesApi.VisibleAsync(c, id, authz, "volume:extend", tx);
        var attached = peek.Status == VolumeStatus.InUse;
        if (attached)
        {
            if (!http.Microversion().AtLeast(42)) throw CinderErrors.InvalidVolume($"Volume {id} status must be 'available' to extend, currently {peek.Status}.");
            authz.Enforce("volume:extend_attached_volume", peek.ProjectId);
        }
        var typeName = await c.ExecuteScalarAsync<string>("SELECT name FROM volume_types WHERE id = @VolumeTypeId", new { peek.VolumeTypeId }, tx) ?? "";
        if (newSize <= peek.Size)
            throw CinderErrors.InvalidInput($"New size for extend must be greater than current size. (current: {peek.Size}, extended: {newSize}).");
        // The project's lock row first, then the volume's: every quota change takes them in this order.
        await quotas.EnforceAsync(tx, peek.ProjectId, new QuotaDelta(typeName, Gigabytes: newSize - peek.Size, VolumeSize: newSize));
        var row = (await VolumeStore.GetAsync(c, id, tx, forUpdate: true))!;
        var expected = attached ? VolumeStatus.InUse : VolumeStatus.Available;
        if (row.Status != expected)
            throw CinderErrors.InvalidVolume($"Volume {id} status must be '{{'status': '{expected}'}}' to extend, currently {row.Status}.");
        await c.ExecuteAsync("UPDATE volumes SET status = 'extending', previous_status = @Status, size = @newSize, updated_at = @now WHERE id = @id",
            new { id, row.Status, newSize, now }, tx);
        await backends.CastExtendVolumeAsync(tx, row.Host!, new ExtendVolume(id, row.Size, newSize));
        await tx.CommitAsync();
        backends.Flush();
        return Results.Accepted();
    }

    /// <summary>
    /// os-reset_status (admin): sets the status (and attach or migration status) whatever it was,
    /// the way out of a state whose work was lost. Back to <c>available</c> (or with
    /// <c>attach_status</c> <c>detached</c>) the volume's attachment records go too, so nothing
    /// is left that names a server the volume is not attached to.
    /// </summary>
    private static async Task<IResult> ResetStatusAsync(DbConnection c, string id, JsonNode? args, CinderAuthz authz, DateTime now)
    {
        var o = args as JsonObject ?? throw CinderErrors.BadRequest("Must specify 'status', 'attach_status' or 'migration_status' for update.");
        var status = o["status"]?.GetValue<string>()?.ToLowerInvariant();
        var attachStatus = o["attach_status"]?.GetValue<string>()?.ToLowerInvariant();
        var migrationStatus = o["migration_status"]?.GetValue<string>()?.ToLowerInvariant();
        if (status is null && attachStatus is null && migrationStatus is null)
            throw CinderErrors.BadRequest("Must specify 'status', 'attach_status' or 'migration_status' for update.");
        if (status is not null && !VolumeStatus.Resettable.Contains(status)) throw CinderErrors.BadRequest($"Must specify a valid status");
        if (attachStatus is not null and not ("attached" or "detached")) throw CinderErrors.BadRequest($"Must specify a valid attach status");
        await using var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted);
        var row = await VolumesApi.VisibleAsync(c, id, authz, "volume_extension:volume_admin_actions:reset_status", tx, forUpdate: true);
        if (status == VolumeStatus.Available && attachStatus is null) attachStatus = "detached";
        await c.ExecuteAsync("""
            UPDATE volumes SET status = COALESCE(@status, status), attach_status = COALESCE(@attachStatus, attach_status),
                   migration_status = COALESCE(@migrationStatus, migration_status), previous_status = NULL, updated_at = @now
             WHERE id = @id
            """, new { id, status, attachStatus, migrationStatus = migrationStatus == "none" ? null : migrationStatus, now }, tx);
        if (attachStatus == "detached")
            await c.ExecuteAsync("""
                UPDATE volume_attachment SET attach_status = 'detached', detach_time = @now, deleted = 1, deleted_at = @now, updated_at = @now
                 WHERE volume_id = @id AND deleted = 0
                """, new { id, now }, tx);
        await tx.CommitAsync();
        return Results.Accepted();
    }

    /// <summary>os-attach: the legacy attach's last step; the volume, reserved with os-reserve, is in-use by the server.</summary>
    private static async Task<IResult> AttachAsync(DbConnection c, string id, JsonObject args, CinderAuthz authz, DateTime now)
    {
        var instance = VolumesApi.Text(args, "instance_uuid", 36);
        var hostName = VolumesApi.Text(args, "host_name", 255);
        if (instance is null && hostName is null) throw CinderErrors.InvalidVolume("Invalid request to attach volume to an invalid target");
        var mountpoint = VolumesApi.Text(args, "mountpoint", 255) ?? throw CinderErrors.InvalidVolume("Invalid request to attach volume with an invalid mountpoint");
        var mode = VolumesApi.Text(args, "mode", 2) ?? "rw";
        if (mode is not ("rw" or "ro")) throw CinderErrors.InvalidVolume($"Invalid attaching mode '{mode}' for volume {id}.");
        await using var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted);
        var row = await VolumesApi.VisibleAsync(c, id, authz, "volume_extension:volume_actions:attach", tx, forUpdate: true);
        if (row.Status is not (VolumeStatus.Attaching or VolumeStatus.Reserved) && !(row.Status == VolumeStatus.InUse && row.Multiattach))
            throw CinderErrors.InvalidVolume($"Volume status must be attaching or reserved to attach, but the status is {row.Status}.");
        await c.ExecuteAsync("""
            INSERT INTO volume_attachment (id, volume_id, instance_uuid, attached_host, mountpoint, attach_time, attach_status, attach_mode, created_at, updated_at)
            VALUES (@attachmentId, @id, @instance, @hostName, @mountpoint, @now, 'attached', @mode, @now, @now)
            """, new { attachmentId = Guid.NewGuid().ToString(), id, instance, hostName, mountpoint, mode, now }, tx);
        await c.ExecuteAsync("UPDATE volumes SET status = 'in-use', attach_status = 'attached', updated_at = @now WHERE id = @id", new { id, now }, tx);
        await tx.CommitAsync();
        return Results.Accepted();
    }

    /// <summary>os-detach: the legacy detach's last step; the attachment (or the only one) ends and the volume is available when none is left.</summary>
    private static async Task<IResult> DetachAsync(DbConnection c, string id, JsonObject args, CinderAuthz authz, DateTime now)
    {
        var attachmentId = VolumesApi.Text(args, "attachment_id", 36);
        await using var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted);
        await VolumesApi.VisibleAsync(c, id, authz, "volume_extension:volume_actions:detach", tx, forUpdate: true);
        var attachments = (await c.QueryAsync<string>("SELECT id FROM volume_attachment WHERE volume_id = @id AND deleted = 0", new { id }, tx)).ToList();
        if (attachmentId is null && attachments.Count > 1)
            throw CinderErrors.InvalidVolume("Detach volume failed: More than one attachment, but no attachment_id provided.");
        attachmentId ??= attachments.FirstOrDefault();
        if (attachmentId is null || !attachments.Contains(attachmentId))
            throw CinderErrors.NotFound($"Volume attachment could not be found with filter: attachment_id = {attachmentId}, volume_id = {id}.");
        await AttachmentsApi.EndAttachmentAsync(tx, id, attachmentId, now);
        await tx.CommitAsync();
        return Results.Accepted();
    }

    /// <summary>One conditional move of a volume's status; from any other status it is cinder's InvalidVolume.</summary>
    private static async Task TransitionAsync(DbConnection c, string id, CinderAuthz authz, string rule, string[] from, string to, DateTime now, Func<VolumeRow, string>? message)
    {
        await using var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted);
        var row = await VolumesApi.VisibleAsync(c, id, authz, rule, tx, forUpdate: true);
        if (!from.Contains(row.Status))
            throw CinderErrors.InvalidVolume(message?.Invoke(row) ?? $"Volume {id} status must be {string.Join(" or ", from)}, but current status is: {row.Status}.");
        await c.ExecuteAsync("UPDATE volumes SET status = @to, updated_at = @now WHERE id = @id", new { id, to, now }, tx);
        await tx.CommitAsync();
    }

    private static async Task<Dictionary<string, string>> ImageMetadataAsync(DbConnection c, string id) =>
        (await c.QueryAsync<(string Key, string Value)>("SELECT meta_key, meta_value FROM volume_glance_metadata WHERE volume_id = @id ORDER BY id", new { id }))
            .GroupBy(m => m.Key).ToDictionary(g => g.Key, g => g.Last().Value);

    private static bool Flag(JsonNode? args, string member)
    {
        var node = (args as JsonObject)?[member] ?? throw CinderErrors.BadRequest($"'{member}' is a required property");
        return node switch
        {
            JsonValue v when v.GetValueKind() == JsonValueKind.True => true,
            JsonValue v when v.GetValueKind() == JsonValueKind.False => false,
            JsonValue v when v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().ToLowerInvariant() is "1" or "t" or "true" or "on" or "y" or "yes" => true,
            JsonValue v when v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().ToLowerInvariant() is "0" or "f" or "false" or "off" or "n" or "no" => false,
            _ => throw CinderErrors.InvalidField(member, CinderBody.Python(node), $"{CinderBody.Python(node)} is not of type 'boolean'"),
        };
    }

    /// <summary>A connector (the host's description: host, ip, initiator, ...) as strings.</summary>
    public static Dictionary<string, string> Connector(JsonNode? args)
    {
        var connector = (args as JsonObject)?["connector"] as JsonObject ?? throw CinderErrors.BadRequest("Must specify 'connector'");
        return connector.ToDictionary(p => p.Key, p => p.Value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : p.Value?.ToJsonString() ?? "");
    }
}
