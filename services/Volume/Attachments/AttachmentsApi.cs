using System.Data;
using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Platform.Data;
using Platform.Hosting;
using Volume.Common;
using Volume.Contracts;
using Volume.Volumes;

namespace Volume.Attachments;

/// <summary>
/// /attachments (3.27+), the way compute attaches volumes: create reserves the volume for a
/// server (<c>reserved</c>); update with the host's connector asks the backend for the
/// connection info (<c>attaching</c>); os-complete (3.44+) makes it <c>in-use</c>; delete ends
/// it. The backend is asked before anything is written, so a backend that does not answer
/// leaves the attachment as it was and the same update can be made again.
/// </summary>
public static class AttachmentsApi
{
    private const int NewAttach = 27;
    private const int Completion = 44;

    public static void MapAttachments(this RouteGroupBuilder v3)
    {
        v3.MapPost("/attachments", CreateAsync);
        v3.MapGet("/attachments", (HttpContext http, IDbConnectionFactory db, CinderAuthz authz) => ListAsync(http, db, authz, detail: false));
        v3.MapGet("/attachments/detail", (HttpContext http, IDbConnectionFactory db, CinderAuthz authz) => ListAsync(http, db, authz, detail: true));
        v3.MapGet("/attachments/{id}", ShowAsync);
        v3.MapPut("/attachments/{id}", UpdateAsync);
        v3.MapPost("/attachments/{id}/action", ActAsync);
        v3.MapDelete("/attachments/{id}", DeleteAsync);
    }

    private static void RequireVersion(HttpContext http, int minor)
    {
        if (!http.Microversion().AtLeast(minor)) throw CinderErrors.NotFound("The resource could not be found.");
    }

    private static async Task<IResult> CreateAsync(HttpContext http, IDbConnectionFactory db, CinderAuthz authz, VolumeBackendClient backends, TimeProvider time)
    {
        RequireVersion(http, NewAttach);
        var a = CinderBody.Root(await CinderBody.ReadAsync(http.Request), "attachment");
        var volumeId = VolumesApi.Text(a, "volume_uuid", 36) ?? throw CinderErrors.BadRequest("'volume_uuid' is a required property");
        var instance = VolumesApi.Text(a, "instance_uuid", 36);
        var mode = http.Microversion().AtLeast(54) ? VolumesApi.Text(a, "mode", 2) ?? "rw" : "rw";
        if (mode is not ("rw" or "ro")) throw CinderErrors.InvalidInput($"Invalid attachment mode '{mode}'.");
        var connector = a["connector"] is JsonObject ? VolumeActionsApi.Connector(a) : null;
        var now = time.GetUtcNow().UtcDateTime;
        var attachmentId = Guid.NewGuid().ToString();

        await using var c = await db.OpenAsync();
        await using (var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted))
        {
            var row = await VolumesApi.VisibleAsync(c, volumeId, authz, "volume:attachment_create", tx, forUpdate: true);
            var attachedElsewhere = await c.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM volume_attachment WHERE volume_id = @volumeId AND deleted = 0", new { volumeId }, tx) > 0;
            var ok = row.Status is VolumeStatus.Available or VolumeStatus.Reserved && !attachedElsewhere
                     || row.Multiattach && row.Status is VolumeStatus.InUse or VolumeStatus.Reserved or VolumeStatus.Available;
            if (row.Status == VolumeStatus.Downloading) ok = false;
            if (!ok)
                throw CinderErrors.InvalidVolume($"Volume {volumeId} status must be available or downloading to reserve, but the current status is {row.Status}.");
            await c.ExecuteAsync("""
                INSERT INTO volume_attachment (id, volume_id, instance_uuid, attach_status, attach_mode, created_at, updated_at)
                VALUES (@attachmentId, @volumeId, @instance, 'reserved', @mode, @now, @now)
                """, new { attachmentId, volumeId, instance, mode, now }, tx);
            if (row.Status != VolumeStatus.InUse)
                await c.ExecuteAsync("UPDATE volumes SET status = 'reserved', updated_at = @now WHERE id = @volumeId", new { volumeId, now }, tx);
            await tx.CommitAsync();
        }
        if (connector is not null) await ConnectAsync(c, attachmentId, connector, backends, time, http.RequestAborted);
        return Results.Json(new JsonObject { ["attachment"] = View(await GetAsync(c, attachmentId, authz)) });
    }

    /// <summary>Asks the backend how the connector's host reaches the volume, then records it: the attachment is <c>attaching</c>.</summary>
    private static async Task ConnectAsync(DbConnection c, string attachmentId, Dictionary<string, string> connector, VolumeBackendClient backends,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var (volumeId, host) = await c.QuerySingleAsync<(string, string?)>(
            "SELECT a.volume_id, v.host FROM volume_attachment a JOIN volumes v ON v.id = a.volume_id WHERE a.id = @attachmentId", new { attachmentId });
        if (host is null) throw CinderErrors.InvalidVolume($"Volume {volumeId} has no backend yet.");
        VolumeConnection info;
        try
        {
            info = await backends.CallInitializeConnectionAsync(host, new InitializeConnection(volumeId, connector), cancellationToken);
        }
        catch (Platform.Messaging.RpcTimeoutException)
        {
            throw BackendAway(host);
        }
        var now = time.GetUtcNow().UtcDateTime;
        await using var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
        var status = await c.ExecuteScalarAsync<string?>("SELECT attach_status FROM volume_attachment WHERE id = @attachmentId AND deleted = 0 FOR UPDATE", new { attachmentId }, tx);
        if (status is null) throw CinderErrors.NotFound($"Volume attachment {attachmentId} could not be found.");
        await c.ExecuteAsync("""
            UPDATE volume_attachment SET connection_info = @info, connector = @connector, attached_host = @host,
                   mountpoint = COALESCE(@mountpoint, mountpoint),
                   attach_status = IF(attach_status = 'attached', 'attached', 'attaching'), updated_at = @now
             WHERE id = @attachmentId
            """, new
        {
            attachmentId, info = ConnectionJson(info).ToJsonString(), connector = JsonSerializer.Serialize(connector),
            host = connector.GetValueOrDefault("host"), now,
            // As cinder: the connector's mountpoint is the device the volume shows as in its attachments.
            mountpoint = connector.GetValueOrDefault("mountpoint") is { Length: > 0 } m ? m : null,
        }, tx);
        await c.ExecuteAsync("UPDATE volumes SET status = 'attaching', updated_at = @now WHERE id = @volumeId AND status = 'reserved'", new { volumeId, now }, tx);
        await tx.CommitAsync(cancellationToken);
    }

    private static async Task<IResult> UpdateAsync(string id, HttpContext http, IDbConnectionFactory db, CinderAuthz authz, VolumeBackendClient backends, TimeProvider time)
    {
        RequireVersion(http, NewAttach);
        var a = CinderBody.Root(await CinderBody.ReadAsync(http.Request), "attachment");
        var connector = VolumeActionsApi.Connector(a);
        await using var c = await db.OpenAsync();
        var current = await GetAsync(c, id, authz);
        authz.Enforce("volume:attachment_update", current.ProjectId);
        if (current.Row.AttachStatus == "error_attaching" || current.VolumeStatus == VolumeStatus.Error)
            throw CinderErrors.BadRequest($"Volume attachments can not be updated if the volume is in an error state. The Volume {current.Row.VolumeId} currently has a status of: {current.VolumeStatus}");
        await ConnectAsync(c, id, connector, backends, time, http.RequestAborted);
        return Results.Json(new JsonObject { ["attachment"] = View(await GetAsync(c, id, authz)) });
    }

    private static async Task<IResult> ActAsync(string id, HttpContext http, IDbConnectionFactory db, CinderAuthz authz, TimeProvider time)
    {
        RequireVersion(http, Completion);
        var body = await CinderBody.ReadAsync(http.Request);
        if (!body.ContainsKey("os-complete")) throw CinderErrors.BadRequest($"There is no such action: {string.Join(",", body.Select(kv => kv.Key))}");
        var now = time.GetUtcNow().UtcDateTime;
        await using var c = await db.OpenAsync();
        var current = await GetAsync(c, id, authz);
        authz.Enforce("volume:attachment_complete", current.ProjectId);
        await using var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted);
        await c.ExecuteAsync("SELECT id FROM volumes WHERE id = @VolumeId FOR UPDATE", new { current.Row.VolumeId }, tx);
        await c.ExecuteAsync("UPDATE volume_attachment SET attach_status = 'attached', attach_time = COALESCE(attach_time, @now), updated_at = @now WHERE id = @id AND deleted = 0",
            new { id, now }, tx);
        await c.ExecuteAsync("UPDATE volumes SET status = 'in-use', attach_status = 'attached', updated_at = @now WHERE id = @VolumeId",
            new { current.Row.VolumeId, now }, tx);
        await tx.CommitAsync();
        return Results.NoContent();
    }

    private static async Task<IResult> DeleteAsync(string id, HttpContext http, IDbConnectionFactory db, CinderAuthz authz, VolumeBackendClient backends, TimeProvider time)
    {
        RequireVersion(http, NewAttach);
        await using var c = await db.OpenAsync();
        var current = await GetAsync(c, id, authz);
        authz.Enforce("volume:attachment_delete", current.ProjectId);
        // The host let go of the volume first; a backend that does not answer leaves the attachment, and the delete can be made again.
        if (current.Row.Connector is { } connectorJson && current.Host is { } host)
        {
            var connector = JsonSerializer.Deserialize<Dictionary<string, string>>(connectorJson) ?? [];
            try
            {
                await backends.CallTerminateConnectionAsync(host, new TerminateConnection(current.Row.VolumeId, connector), http.RequestAborted);
            }
            catch (Platform.Messaging.RpcTimeoutException)
            {
                throw BackendAway(host);
            }
        }
        var now = time.GetUtcNow().UtcDateTime;
        await using var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted);
        await c.ExecuteAsync("SELECT id FROM volumes WHERE id = @VolumeId FOR UPDATE", new { current.Row.VolumeId }, tx);
        await EndAttachmentAsync(tx, current.Row.VolumeId, id, now);
        await tx.CommitAsync();
        var left = new JsonArray();
        foreach (var other in await c.QueryAsync<AttachmentRow>("SELECT * FROM volume_attachment WHERE volume_id = @VolumeId AND deleted = 0", new { current.Row.VolumeId }))
            left.Add(new JsonObject { ["id"] = other.Id, ["status"] = other.AttachStatus, ["instance"] = other.InstanceUuid, ["volume_id"] = other.VolumeId });
        return Results.Json(new JsonObject { ["attachments"] = left });
    }

    /// <summary>
    /// Ends an attachment (soft-deleted, detached) and puts the volume back: <c>available</c> and
    /// detached when it was the last one, else <c>in-use</c>. The volume's row is locked by the caller.
    /// </summary>
    public static async Task EndAttachmentAsync(DbTransaction tx, string volumeId, string attachmentId, DateTime now)
    {
        var c = tx.Connection!;
        await c.ExecuteAsync("""
            UPDATE volume_attachment SET attach_status = 'detached', detach_time = @now, deleted = 1, deleted_at = @now, updated_at = @now
             WHERE id = @attachmentId AND deleted = 0
            """, new { attachmentId, now }, tx);
        var attachedLeft = await c.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM volume_attachment WHERE volume_id = @volumeId AND deleted = 0 AND attach_status = 'attached'", new { volumeId }, tx);
        var anyLeft = await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM volume_attachment WHERE volume_id = @volumeId AND deleted = 0", new { volumeId }, tx);
        await c.ExecuteAsync("""
            UPDATE volumes SET status = @status, attach_status = @attachStatus, updated_at = @now
             WHERE id = @volumeId AND status IN ('reserved', 'attaching', 'in-use', 'detaching', 'error_attaching')
            """, new
        {
            volumeId, now,
            status = attachedLeft > 0 ? VolumeStatus.InUse : anyLeft > 0 ? VolumeStatus.Reserved : VolumeStatus.Available,
            attachStatus = attachedLeft > 0 ? "attached" : "detached",
        }, tx);
    }

    private static async Task<IResult> ShowAsync(string id, HttpContext http, IDbConnectionFactory db, CinderAuthz authz)
    {
        RequireVersion(http, NewAttach);
        await using var c = await db.OpenAsync();
        var a = await GetAsync(c, id, authz);
        authz.Enforce("volume:get", a.ProjectId);
        return Results.Json(new JsonObject { ["attachment"] = View(a) });
    }

    private static async Task<IResult> ListAsync(HttpContext http, IDbConnectionFactory db, CinderAuthz authz, bool detail)
    {
        RequireVersion(http, NewAttach);
        authz.Enforce(VolumesApi.GetAllRule);
        var q = http.Request.Query;
        var all = authz.IsAdmin && CinderBody.BoolParam(http.Request, "all_tenants");
        await using var c = await db.OpenAsync();
        var rows = await c.QueryAsync<AttachmentRow, string, string, string?, Attachment>("""
            SELECT a.*, v.project_id, v.status, v.host FROM volume_attachment a JOIN volumes v ON v.id = a.volume_id
             WHERE a.deleted = 0 AND (@all OR v.project_id = @project)
               AND (@volumeId IS NULL OR a.volume_id = @volumeId) AND (@instance IS NULL OR a.instance_uuid = @instance)
             ORDER BY a.created_at DESC, a.id DESC
            """, (a, project, status, host) => new Attachment(a, project, status, host),
            new { all, project = CinderAuthz.Caller.ProjectId, volumeId = q["volume_id"].LastOrDefault(), instance = q["instance_id"].LastOrDefault() },
            splitOn: "project_id,status,host");
        var list = new JsonArray();
        foreach (var a in rows)
            list.Add(detail ? View(a) : new JsonObject { ["id"] = a.Row.Id, ["status"] = a.Row.AttachStatus, ["instance"] = a.Row.InstanceUuid, ["volume_id"] = a.Row.VolumeId });
        return Results.Json(new JsonObject { ["attachments"] = list });
    }

    /// <summary>An attachment with its volume's project, status and host.</summary>
    private sealed record Attachment(AttachmentRow Row, string ProjectId, string VolumeStatus, string? Host);

    private static async Task<Attachment> GetAsync(DbConnection c, string id, CinderAuthz authz)
    {
        var found = (await c.QueryAsync<AttachmentRow, string, string, string?, Attachment>("""
            SELECT a.*, v.project_id, v.status, v.host FROM volume_attachment a JOIN volumes v ON v.id = a.volume_id
             WHERE a.id = @id AND a.deleted = 0
            """, (a, project, status, host) => new Attachment(a, project, status, host), new { id }, splitOn: "project_id,status,host")).SingleOrDefault();
        if (found is null || (found.ProjectId != CinderAuthz.Caller.ProjectId && !authz.IsAdmin))
            throw CinderErrors.NotFound($"Volume attachment {id} could not be found.");
        return found;
    }

    private static JsonObject View(Attachment a) => new()
    {
        ["id"] = a.Row.Id,
        ["status"] = a.Row.AttachStatus,
        ["instance"] = a.Row.InstanceUuid,
        ["volume_id"] = a.Row.VolumeId,
        ["attached_at"] = VolumeView.TimeNode(a.Row.AttachTime),
        ["detached_at"] = VolumeView.TimeNode(a.Row.DetachTime),
        ["attach_mode"] = a.Row.AttachMode,
        ["connection_info"] = a.Row.ConnectionInfo is { } info ? JsonNode.Parse(info) : null,
    };

    /// <summary>A backend that did not answer: cinder's 500, saying that nothing changed and the call may be made again.</summary>
    private static ApiException BackendAway(string host) => new(System.Net.HttpStatusCode.InternalServerError,
        $"The volume's backend {Topics.BackendOf(host)} did not answer in time; nothing was changed, and the request can be made again.");

    /// <summary>Connection info as cinder answers it: <c>driver_volume_type</c> and <c>data</c>.</summary>
    public static JsonObject ConnectionJson(VolumeConnection info)
    {
        var data = new JsonObject();
        foreach (var (k, v) in info.Data) data[k] = v;
        return new JsonObject { ["driver_volume_type"] = info.DriverVolumeType, ["data"] = data };
    }
}
