using System.Data;
using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Platform.Data;
using Platform.Hosting;
using Volume.Common;
using Volume.Contracts;
using Volume.Quotas;
using Volume.Volumes;

namespace Volume.Snapshots;

/// <summary>A row of snapshots with what its view needs.</summary>
public sealed class SnapshotRow
{
    public string Id { get; set; } = "";
    public string VolumeId { get; set; } = "";
    public string ProjectId { get; set; } = "";
    public string UserId { get; set; } = "";
    public string Status { get; set; } = "";
    public string? Progress { get; set; }
    public int VolumeSize { get; set; }
    public string VolumeTypeId { get; set; } = "";
    public string? DisplayName { get; set; }
    public string? DisplayDescription { get; set; }
    public string? GroupSnapshotId { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? UpdatedAt { get; set; }
}

/// <summary>
/// /snapshots: a point-in-time copy of a volume, made by the volume's backend. A create counts
/// against the snapshots quota (and gigabytes, by the volume's size, unless
/// <c>no_snapshot_gb_quota</c>) under the project's lock, writes the row <c>creating</c> and
/// casts to the backend in one transaction. A snapshot with volumes made from it may still go
/// (the file backend copies); a volume with snapshots may not.
/// </summary>
public static class SnapshotsApi
{
    private const string Columns = """
        id, volume_id, project_id, user_id, status, progress, volume_size, volume_type_id, display_name, display_description,
        group_snapshot_id, created_at, updated_at
        """;

    public static void MapSnapshots(this RouteGroupBuilder v3)
    {
        v3.MapPost("/snapshots", CreateAsync);
        v3.MapGet("/snapshots", (HttpContext http, IDbConnectionFactory db, CinderAuthz authz) => ListAsync(http, db, authz, detail: false));
        v3.MapGet("/snapshots/detail", (HttpContext http, IDbConnectionFactory db, CinderAuthz authz) => ListAsync(http, db, authz, detail: true));
        v3.MapGet("/snapshots/{id}", ShowAsync);
        v3.MapPut("/snapshots/{id}", UpdateAsync);
        v3.MapDelete("/snapshots/{id}", DeleteAsync);
        v3.MapPost("/snapshots/{id}/action", ActAsync);
        v3.MapGet("/snapshots/{id}/metadata", ShowMetadataAsync);
    }

    private static async Task<IResult> CreateAsync(HttpContext http, IDbConnectionFactory db, CinderAuthz authz, QuotaCheck quotas, QuotaEngine engine,
        VolumeBackendClient backends, TimeProvider time)
    {
        var s = CinderBody.Root(await CinderBody.ReadAsync(http.Request), "snapshot");
        var volumeId = VolumesApi.Text(s, "volume_id", 36) ?? throw CinderErrors.BadRequest("'volume_id' is a required property");
        var name = VolumesApi.Text(s, "name", 255) ?? VolumesApi.Text(s, "display_name", 255);
        var description = VolumesApi.Text(s, "description", 255) ?? VolumesApi.Text(s, "display_description", 255);
        var force = s["force"] is JsonValue f && (f.GetValueKind() == JsonValueKind.True
            || f.GetValueKind() == JsonValueKind.String && f.GetValue<string>().ToLowerInvariant() is "1" or "t" or "true" or "on" or "y" or "yes");
        var metadata = VolumesApi.Metadata(s, "metadata") ?? [];
        var now = time.GetUtcNow().UtcDateTime;
        var id = Guid.NewGuid().ToString();

        await using var c = await db.OpenAsync();
        await using (var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted))
        {
            var peek = await VolumesApi.VisibleAsync(c, volumeId, authz, "volume:create_snapshot", tx);
            var typeName = await c.ExecuteScalarAsync<string>("SELECT name FROM volume_types WHERE id = @VolumeTypeId", new { peek.VolumeTypeId }, tx) ?? "";
            await quotas.EnforceAsync(tx, peek.ProjectId, new QuotaDelta(typeName, Snapshots: 1, Gigabytes: engine.SnapshotsCountInGigabytes ? peek.Size : 0));
            var volume = (await VolumeStore.GetAsync(c, volumeId, tx, forUpdate: true))!;
            if (volume.MigrationStatus is not null && volume.MigrationStatus is not ("success" or "error" or "none"))
                throw CinderErrors.InvalidVolume("Snapshot cannot be created while volume is migrating.");
            var allowed = force ? new[] { VolumeStatus.Available, VolumeStatus.InUse } : [VolumeStatus.Available];
            if (!allowed.Contains(volume.Status))
                throw CinderErrors.InvalidVolume(force
                    ? $"Volume {volumeId} status must be available or in-use, but current status is: {volume.Status}."
                    : $"Volume {volumeId} status must be available, but current status is: {volume.Status}.");
            await c.ExecuteAsync("""
                INSERT INTO snapshots (id, volume_id, project_id, user_id, status, progress, volume_size, volume_type_id, display_name, display_description, created_at, updated_at)
                VALUES (@id, @volumeId, @ProjectId, @userId, 'creating', '0%', @Size, @VolumeTypeId, @name, @description, @now, @now)
                """, new { id, volumeId, volume.ProjectId, userId = CinderAuthz.Caller.UserId ?? "", volume.Size, volume.VolumeTypeId, name, description, now }, tx);
            if (metadata.Count > 0)
                await c.ExecuteAsync("INSERT INTO snapshot_metadata (snapshot_id, meta_key, meta_value, created_at) VALUES (@id, @Key, @Value, @now)",
                    metadata.Select(m => new { id, m.Key, m.Value, now }), tx);
            await backends.CastCreateSnapshotAsync(tx, volume.Host!, new CreateSnapshot(id));
            await tx.CommitAsync();
            backends.Flush();
        }
        return Results.Json(new JsonObject { ["snapshot"] = await ViewAsync(c, http, authz, (await GetAsync(c, id))!) }, statusCode: 202);
    }

    private static Task<SnapshotRow?> GetAsync(DbConnection c, string id, DbTransaction? tx = null, bool forUpdate = false) =>
        c.QuerySingleOrDefaultAsync<SnapshotRow>($"SELECT {Columns} FROM snapshots WHERE id = @id AND deleted = 0{(forUpdate ? " FOR UPDATE" : "")}", new { id }, tx);

    private static async Task<SnapshotRow> VisibleAsync(DbConnection c, string id, CinderAuthz authz, string rule, DbTransaction? tx = null, bool forUpdate = false)
    {
        var row = await GetAsync(c, id, tx, forUpdate);
        if (row is null || (row.ProjectId != CinderAuthz.Caller.ProjectId && !authz.IsAdmin)) throw CinderErrors.NotFound($"Snapshot {id} could not be found.");
        authz.Enforce(rule, row.ProjectId);
        return row;
    }

    private static async Task<JsonObject> ViewAsync(DbConnection c, HttpContext http, CinderAuthz authz, SnapshotRow s)
    {
        var metadata = (await c.QueryAsync<(string, string)>("SELECT meta_key, meta_value FROM snapshot_metadata WHERE snapshot_id = @Id", new { s.Id }))
            .ToDictionary(m => m.Item1, m => m.Item2);
        return View(http, authz, s, metadata);
    }

    private static JsonObject View(HttpContext http, CinderAuthz authz, SnapshotRow s, IReadOnlyDictionary<string, string> metadata)
    {
        var version = http.Microversion();
        var view = new JsonObject
        {
            ["id"] = s.Id,
            ["created_at"] = VolumeView.Time(s.CreatedAt),
            ["updated_at"] = VolumeView.TimeNode(s.UpdatedAt),
            ["name"] = s.DisplayName,
            ["description"] = s.DisplayDescription,
            ["volume_id"] = s.VolumeId,
            ["status"] = s.Status,
            ["size"] = s.VolumeSize,
            ["metadata"] = VolumeView.Map(metadata),
        };
        if (version.AtLeast(14)) view["group_snapshot_id"] = s.GroupSnapshotId;
        if (version.AtLeast(41)) view["user_id"] = s.UserId;
        if (authz.Allows("volume_extension:extended_snapshot_attributes", s.ProjectId))
        {
            view["os-extended-snapshot-attributes:project_id"] = s.ProjectId;
            view["os-extended-snapshot-attributes:progress"] = s.Progress;
        }
        return view;
    }

    private static async Task<IResult> ShowAsync(string id, HttpContext http, IDbConnectionFactory db, CinderAuthz authz)
    {
        await using var c = await db.OpenAsync();
        return Results.Json(new JsonObject { ["snapshot"] = await ViewAsync(c, http, authz, await VisibleAsync(c, id, authz, "volume:get_snapshot")) });
    }

    private static async Task<IResult> ListAsync(HttpContext http, IDbConnectionFactory db, CinderAuthz authz, bool detail)
    {
        authz.Enforce("volume:get_all_snapshots");
        var q = http.Request.Query;
        var all = authz.IsAdmin && CinderBody.BoolParam(http.Request, "all_tenants");
        await using var c = await db.OpenAsync();
        var rows = (await c.QueryAsync<SnapshotRow>($"""
            SELECT {Columns} FROM snapshots
             WHERE deleted = 0 AND (@all OR project_id = @project)
               AND (@volumeId IS NULL OR volume_id = @volumeId) AND (@status IS NULL OR status = @status) AND (@name IS NULL OR display_name = @name)
             ORDER BY created_at DESC, id DESC
            """, new
        {
            all, project = CinderAuthz.Caller.ProjectId, volumeId = q["volume_id"].LastOrDefault(), status = q["status"].LastOrDefault(),
            name = q["name"].LastOrDefault(),
        })).ToList();
        var ids = rows.Select(r => r.Id).ToArray();
        var metadata = ids.Length == 0 ? null : (await c.QueryAsync<(string Id, string Key, string Value)>(
            "SELECT snapshot_id, meta_key, meta_value FROM snapshot_metadata WHERE snapshot_id IN @ids", new { ids })).ToLookup(m => m.Id);
        var list = new JsonArray();
        foreach (var s in rows)
        {
            var meta = metadata?[s.Id].ToDictionary(m => m.Key, m => m.Value) ?? [];
            list.Add(detail ? View(http, authz, s, meta) : new JsonObject
            {
                ["id"] = s.Id, ["created_at"] = VolumeView.Time(s.CreatedAt), ["updated_at"] = VolumeView.TimeNode(s.UpdatedAt), ["name"] = s.DisplayName,
                ["description"] = s.DisplayDescription, ["volume_id"] = s.VolumeId, ["status"] = s.Status, ["size"] = s.VolumeSize, ["metadata"] = VolumeView.Map(meta),
            });
        }
        return Results.Json(new JsonObject { ["snapshots"] = list });
    }

    private static async Task<IResult> UpdateAsync(string id, HttpContext http, IDbConnectionFactory db, CinderAuthz authz, TimeProvider time)
    {
        var s = CinderBody.Root(await CinderBody.ReadAsync(http.Request), "snapshot");
        var allowed = new[] { "name", "description", "display_name", "display_description" };
        var extra = s.Select(kv => kv.Key).Where(k => !allowed.Contains(k)).ToList();
        if (extra.Count > 0) throw CinderErrors.BadRequest($"Additional properties are not allowed ({string.Join(", ", extra.Select(e => $"'{e}'"))} {(extra.Count == 1 ? "was" : "were")} unexpected)");
        await using var c = await db.OpenAsync();
        var row = await VisibleAsync(c, id, authz, "volume:update_snapshot");
        var name = s.ContainsKey("name") || s.ContainsKey("display_name") ? VolumesApi.Text(s, "name", 255) ?? VolumesApi.Text(s, "display_name", 255) : row.DisplayName;
        var description = s.ContainsKey("description") || s.ContainsKey("display_description")
            ? VolumesApi.Text(s, "description", 255) ?? VolumesApi.Text(s, "display_description", 255) : row.DisplayDescription;
        await c.ExecuteAsync("UPDATE snapshots SET display_name = @name, display_description = @description, updated_at = @now WHERE id = @id",
            new { id, name, description, now = time.GetUtcNow().UtcDateTime });
        return Results.Json(new JsonObject { ["snapshot"] = await ViewAsync(c, http, authz, (await GetAsync(c, id))!) });
    }

    private static async Task<IResult> DeleteAsync(string id, IDbConnectionFactory db, CinderAuthz authz, VolumeBackendClient backends, TimeProvider time)
    {
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted);
        var row = await VisibleAsync(c, id, authz, "volume:delete_snapshot", tx, forUpdate: true);
        if (row.Status is not ("available" or "error" or "error_deleting"))
            throw CinderErrors.InvalidSnapshot($"Snapshot status must be available or error and must not be part of a group.");
        if (row.GroupSnapshotId is not null) throw CinderErrors.InvalidSnapshot($"Snapshot {id} must not be part of a group.");
        var host = await c.ExecuteScalarAsync<string?>("SELECT host FROM volumes WHERE id = @VolumeId", new { row.VolumeId }, tx);
        await c.ExecuteAsync("UPDATE snapshots SET status = 'deleting', updated_at = @now WHERE id = @id", new { id, now = time.GetUtcNow().UtcDateTime }, tx);
        await backends.CastDeleteSnapshotAsync(tx, host!, new DeleteSnapshot(id));
        await tx.CommitAsync();
        backends.Flush();
        return Results.StatusCode(202);
    }

    /// <summary>os-reset_status (admin): the way out of a snapshot state whose work was lost.</summary>
    private static async Task<IResult> ActAsync(string id, HttpRequest request, IDbConnectionFactory db, CinderAuthz authz, TimeProvider time)
    {
        var body = await CinderBody.ReadAsync(request);
        if (body["os-reset_status"] is not JsonObject args) throw CinderErrors.BadRequest($"There is no such action: {string.Join(",", body.Select(kv => kv.Key))}");
        var status = args["status"]?.GetValue<string>()?.ToLowerInvariant() ?? throw CinderErrors.BadRequest("Must specify 'status'");
        if (status is not ("available" or "error" or "creating" or "deleting" or "error_deleting"))
            throw CinderErrors.BadRequest("Must specify a valid status");
        await using var c = await db.OpenAsync();
        await VisibleAsync(c, id, authz, "volume_extension:snapshot_admin_actions:reset_status");
        await c.ExecuteAsync("UPDATE snapshots SET status = @status, updated_at = @now WHERE id = @id", new { id, status, now = time.GetUtcNow().UtcDateTime });
        return Results.Accepted();
    }

    private static async Task<IResult> ShowMetadataAsync(string id, IDbConnectionFactory db, CinderAuthz authz)
    {
        await using var c = await db.OpenAsync();
        await VisibleAsync(c, id, authz, "volume:get_snapshot_metadata");
        var meta = (await c.QueryAsync<(string, string)>("SELECT meta_key, meta_value FROM snapshot_metadata WHERE snapshot_id = @id", new { id })).ToDictionary(m => m.Item1, m => m.Item2);
        return Results.Json(new JsonObject { ["metadata"] = VolumeView.Map(meta) });
    }
}
