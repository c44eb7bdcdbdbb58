using System.Data;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Image.Contracts;
using Platform.Data;
using Platform.Hosting;
using Volume.Common;
using Volume.Contracts;
using Volume.Quotas;

namespace Volume.Volumes;

/// <summary>
/// /volumes: create (empty, from a snapshot, a volume or an image), list, show, update, delete,
/// and the volume's metadata. A create writes the row (status <c>creating</c>, counted in the
/// quota under the project's lock) and the scheduler's cast in one transaction; the backend
/// makes the volume <c>available</c> or <c>error</c>.
/// </summary>
public static class VolumesApi
{
    public const string CreateRule = "volume:create";
    public const string CreateFromImageRule = "volume:create_from_image";
    public const string GetRule = "volume:get";
    public const string GetAllRule = "volume:get_all";
    public const string UpdateRule = "volume:update";
    public const string DeleteRule = "volume:delete";
    public const string ForceDeleteRule = "volume:force_delete";
    public const string GetMetadataRule = "volume:get_volume_metadata";
    public const string CreateMetadataRule = "volume:create_volume_metadata";
    public const string UpdateMetadataRule = "volume:update_volume_metadata";
    public const string DeleteMetadataRule = "volume:delete_volume_metadata";

    private const int MaxInt = int.MaxValue;

    public static void MapVolumes(this RouteGroupBuilder v3)
    {
        v3.MapPost("/volumes", CreateAsync);
        v3.MapGet("/volumes", (HttpContext http, IDbConnectionFactory db, CinderAuthz authz) => ListAsync(http, db, authz, detail: false));
        v3.MapGet("/volumes/detail", (HttpContext http, IDbConnectionFactory db, CinderAuthz authz) => ListAsync(http, db, authz, detail: true));
        v3.MapGet("/volumes/{id}", ShowAsync);
        v3.MapPut("/volumes/{id}", UpdateAsync);
        v3.MapDelete("/volumes/{id}", DeleteAsync);
        v3.MapGet("/volumes/{id}/metadata", ShowMetadataAsync);
        v3.MapPost("/volumes/{id}/metadata", (string id, HttpRequest r, IDbConnectionFactory db, CinderAuthz a, TimeProvider t) => WriteMetadataAsync(id, r, db, a, t, replace: false));
        v3.MapPut("/volumes/{id}/metadata", (string id, HttpRequest r, IDbConnectionFactory db, CinderAuthz a, TimeProvider t) => WriteMetadataAsync(id, r, db, a, t, replace: true));
        v3.MapGet("/volumes/{id}/metadata/{key}", ShowMetadataKeyAsync);
        v3.MapPut("/volumes/{id}/metadata/{key}", UpdateMetadataKeyAsync);
        v3.MapDelete("/volumes/{id}/metadata/{key}", DeleteMetadataKeyAsync);
    }

    // ---- create ----

    private static async Task<IResult> CreateAsync(HttpContext http, IDbConnectionFactory db, CinderAuthz authz, VolumeSettings settings,
        QuotaCheck quotas, VolumeSchedulerClient scheduler, ImageClient images, TimeProvider time)
    {
        var body = await CinderBody.ReadAsync(http.Request);
        var extra = body.Select(kv => kv.Key).Where(k => k is not ("volume" or "OS-SCH-HNT:scheduler_hints")).ToList();
        if (extra.Count > 0) throw CinderErrors.BadRequest($"Additional properties are not allowed ({string.Join(", ", extra.Select(e => $"'{e}'"))} {(extra.Count == 1 ? "was" : "were")} unexpected)");
        if (!body.ContainsKey("volume")) throw CinderErrors.BadRequest("'volume' is a required property");
        var volume = CinderBody.Root(new JsonObject { ["volume"] = body["volume"]?.DeepClone() }, "volume");

        var caller = CinderAuthz.Caller;
        var projectId = caller.ProjectId ?? throw ApiException.Unauthorized();
        authz.Enforce(CreateRule);

        var name = Text(volume, "name", 255) ?? Text(volume, "display_name", 255);
        var description = Text(volume, "description", 255) ?? Text(volume, "display_description", 255);
        var requestedType = Text(volume, "volume_type", 255);
        var metadata = Metadata(volume, "metadata");
        var snapshotId = Uuid(volume, "snapshot_id");
        var sourceVolumeId = Uuid(volume, "source_volid");
        var imageRef = Text(volume, "imageRef", 255) ?? Text(volume, "image_id", 255);
        var zone = Text(volume, "availability_zone", 255);
        int? size = volume["size"] is { } s ? Size(s) : null;
        if (Bool(volume, "multiattach"))
            throw CinderErrors.BadRequest("multiattach parameter has been removed. The default behavior is to use multiattach enabled volume types. Contact your administrator to create a multiattach enabled volume type and use it to create multiattach volumes.");
        if (volume["consistencygroup_id"] is JsonValue || volume["group_id"] is JsonValue || volume["backup_id"] is JsonValue)
            throw CinderErrors.BadRequest("Volume groups and backups are not supported by this cloud yet.");
        if (new[] { snapshotId, sourceVolumeId, imageRef }.Count(x => x is not null) > 1)
            throw CinderErrors.InvalidInput("Only one of snapshot_id, source_volid and imageRef may be given.");

        await using var c = await db.OpenAsync();

        // Where the data comes from, and what it says of size, type and zone.
        string? sourceHost = null;
        string? sourceTypeId = null;
        string? sourceZone = null;
        if (snapshotId is not null)
        {
            var snap = await c.QuerySingleOrDefaultAsync<(string Status, int VolumeSize, string VolumeTypeId, string ProjectId, string? Host, string? Zone)>("""
                SELECT s.status, s.volume_size, s.volume_type_id, s.project_id, v.host, v.availability_zone FROM snapshots s JOIN volumes v ON v.id = s.volume_id
                 WHERE s.id = @snapshotId AND s.deleted = 0
                """, new { snapshotId });
            if (snap.Status is null || (snap.ProjectId != projectId && !authz.IsAdmin)) throw CinderErrors.NotFound($"Snapshot {snapshotId} could not be found.");
            if (snap.Status != "available") throw CinderErrors.InvalidInput($"Originating snapshot status must be one of 'available' values");
            size ??= snap.VolumeSize;
            if (size < snap.VolumeSize)
                throw CinderErrors.InvalidInput($"Volume size '{size}'GB cannot be smaller than the snapshot size {snap.VolumeSize}GB. They must be >= original snapshot size.");
            (sourceHost, sourceTypeId, sourceZone) = (snap.Host, snap.VolumeTypeId, snap.Zone);
        }
        else if (sourceVolumeId is not null)
        {
            var source = await VolumeStore.GetAsync(c, sourceVolumeId);
            if (source is null || (source.ProjectId != projectId && !authz.IsAdmin)) throw CinderErrors.NotFound($"Volume {sourceVolumeId} could not be found.");
            if (source.Status is not ("available" or "in-use"))
                throw CinderErrors.InvalidInput($"Unable to create a volume from an originating source volume when its status is not one of available, in-use values");
            size ??= source.Size;
            if (size < source.Size)
                throw CinderErrors.InvalidInput($"Volume size '{size}'GB cannot be smaller than original volume size {source.Size}GB. They must be >= original volume size.");
            (sourceHost, sourceTypeId, sourceZone) = (source.Host, source.VolumeTypeId, source.AvailabilityZone);
        }
        ImageInfo? image = null;
        if (imageRef is not null)
        {
            authz.Enforce(CreateFromImageRule);
            var imageId = imageRef.TrimEnd('/').Split('/')[^1];
            try
            {
                image = await images.GetImageAsync(imageId, http.RequestAborted);
            }
            catch (ImageNotFoundException)
            {
                throw CinderErrors.BadRequest($"Invalid image identifier or unable to access requested image.");
            }
            if (image.Status != "active") throw CinderErrors.BadRequest($"Invalid input received: Image {image.Id} is not active.");
        }
        if (size is null) throw CinderErrors.InvalidInput("Invalid volume size provided for create request: None (size argument must be an integer (or string representation of an integer) and greater than zero).");
        if (image is not null)
        {
            var imageGb = (long)Math.Ceiling((image.Size ?? 0) / (double)(1L << 30));
            if (imageGb > size)
                throw CinderErrors.InvalidInput($"Size of specified image {imageGb}GB is larger than volume size {size}GB.");
            if (image.MinDisk > size)
                throw CinderErrors.InvalidInput($"Volume size {size}GB cannot be smaller than the image minDisk size {image.MinDisk}GB.");
        }

        var type = await VolumeTypeLookup.ResolveAsync(c, requestedType ?? sourceTypeId, settings, authz);
        if (sourceTypeId is not null && requestedType is not null && type.Id != sourceTypeId && snapshotId is not null)
            throw CinderErrors.InvalidInput($"Invalid volume_type provided: {requestedType} (requested type is not compatible; recommend omitting the type argument).");

        zone ??= sourceZone ?? settings.DefaultAvailabilityZone;
        var zones = (await c.QueryAsync<string>("SELECT DISTINCT availability_zone FROM services WHERE `binary` = 'cinder-volume'")).ToHashSet();
        zones.Add(settings.StorageAvailabilityZone);
        if (!zones.Contains(zone)) throw CinderErrors.InvalidInput($"Availability zone '{zone}' is invalid.");

        var id = Guid.NewGuid().ToString();
        var now = time.GetUtcNow().UtcDateTime;
        await using (var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted))
        {
            await quotas.EnforceAsync(tx, projectId, new QuotaDelta(type.Name, Volumes: 1, Gigabytes: size.Value, VolumeSize: size));
            await c.ExecuteAsync("""
                INSERT INTO volumes (id, project_id, user_id, size, status, attach_status, display_name, display_description, availability_zone,
                                     volume_type_id, snapshot_id, source_volid, bootable, created_at, updated_at)
                VALUES (@id, @projectId, @userId, @size, 'creating', 'detached', @name, @description, @zone, @typeId, @snapshotId, @sourceVolumeId, 0, @now, @now)
                """, new { id, projectId, userId = caller.UserId ?? "", size, name, description, zone, typeId = type.Id, snapshotId, sourceVolumeId, now }, tx);
            await VolumeStore.WriteMetadataAsync(tx, id, metadata ?? [], replace: false, now);
            await scheduler.CastCreateVolumeAsync(tx, new ScheduleCreateVolume
            {
                VolumeId = id, Size = size.Value, VolumeTypeId = type.Id, ExtraSpecs = type.ExtraSpecs, AvailabilityZone = zone,
                SourceHost = sourceHost, SnapshotId = snapshotId, SourceVolumeId = sourceVolumeId, ImageId = image?.Id,
            });
            await tx.CommitAsync();
            scheduler.Flush();
        }
        var row = (await VolumeStore.GetAsync(c, id))!;
        return Results.Json(new JsonObject { ["volume"] = VolumeView.Detail(http, authz, await VolumeStore.DetailsAsync(c, row)) }, statusCode: 202);
    }

    // ---- read ----

    /// <summary>The volume if the caller may see it (its project's, or any for an admin); else cinder's 404.</summary>
    public static async Task<VolumeRow> VisibleAsync(System.Data.Common.DbConnection c, string id, CinderAuthz authz, string rule, System.Data.Common.DbTransaction? tx = null, bool forUpdate = false)
    {
        var row = await VolumeStore.GetAsync(c, id, tx, forUpdate);
        if (row is null || (row.ProjectId != CinderAuthz.Caller.ProjectId && !authz.IsAdmin)) throw NotFound(id);
        authz.Enforce(rule, row.ProjectId);
        return row;
    }

    public static ApiException NotFound(string id) => CinderErrors.NotFound($"Volume {id} could not be found.");

    private static async Task<IResult> ShowAsync(string id, HttpContext http, IDbConnectionFactory db, CinderAuthz authz)
    {
        await using var c = await db.OpenAsync();
        var row = await VisibleAsync(c, id, authz, GetRule);
        return Results.Json(new JsonObject { ["volume"] = VolumeView.Detail(http, authz, await VolumeStore.DetailsAsync(c, row)) });
    }

    private static readonly Dictionary<string, string> SortKeys = new()
    {
        ["created_at"] = "created_at", ["updated_at"] = "updated_at", ["id"] = "id", ["size"] = "size", ["status"] = "status",
        ["name"] = "display_name", ["display_name"] = "display_name", ["availability_zone"] = "availability_zone", ["bootable"] = "bootable",
    };

    private static async Task<IResult> ListAsync(HttpContext http, IDbConnectionFactory db, CinderAuthz authz, bool detail)
    {
        authz.Enforce(GetAllRule);
        var q = http.Request.Query;
        var where = new List<string> { "v.deleted = 0" };
        var args = new DynamicParameters();
        var allTenants = authz.IsAdmin && CinderBody.BoolParam(http.Request, "all_tenants");
        var project = q["project_id"].LastOrDefault();
        if (!allTenants || project is not null)
        {
            where.Add("v.project_id = @project");
            args.Add("project", authz.IsAdmin && project is not null ? project : CinderAuthz.Caller.ProjectId);
        }
        if ((q["name"].LastOrDefault() ?? q["display_name"].LastOrDefault()) is { } name) { where.Add("v.display_name = @name"); args.Add("name", name); }
        if (q["status"].LastOrDefault() is { } status) { where.Add("v.status = @status"); args.Add("status", status); }
        if (q["availability_zone"].LastOrDefault() is { } zone) { where.Add("v.availability_zone = @zone"); args.Add("zone", zone); }
        if (q["bootable"].LastOrDefault() is not null) { where.Add("v.bootable = @bootable"); args.Add("bootable", CinderBody.BoolParam(http.Request, "bootable")); }
        if (q["volume_type"].LastOrDefault() is { } vt)
        {
            where.Add("v.volume_type_id IN (SELECT id FROM volume_types WHERE (id = @vt OR name = @vt) AND deleted = 0)");
            args.Add("vt", vt);
        }
        if (q["metadata"].LastOrDefault() is { } metaText)
        {
            var meta = ParseFilterDict(metaText, "metadata");
            var i = 0;
            foreach (var (k, val) in meta)
            {
                where.Add($"EXISTS (SELECT 1 FROM volume_metadata m WHERE m.volume_id = v.id AND m.meta_key = @mk{i} AND m.meta_value = @mv{i})");
                args.Add($"mk{i}", k);
                args.Add($"mv{i}", val);
                i++;
            }
        }

        var (orderBy, limit) = await PagingAsync(http.Request, SortKeys, args, where, "volumes", db);
        await using var c = await db.OpenAsync();
        var rows = (await c.QueryAsync<VolumeRow>(
            $"SELECT {VolumeStore.Columns} FROM volumes v WHERE {string.Join(" AND ", where)} ORDER BY {orderBy} LIMIT {limit + 1}", args)).ToList();
        var more = rows.Count > limit;
        if (more) rows.RemoveAt(rows.Count - 1);

        var list = new JsonArray();
        if (detail)
            foreach (var d in await VolumeStore.DetailsAsync(c, rows)) list.Add(VolumeView.Detail(http, authz, d));
        else
            foreach (var r in rows) list.Add(VolumeView.Summary(http.Request, r));
        var answer = new JsonObject { ["volumes"] = list };
        if (more && rows.Count > 0) answer["volumes_links"] = NextLinks(http.Request, detail ? "volumes/detail" : "volumes", rows[^1].Id);
        if (http.Microversion().AtLeast(45) && CinderBody.BoolParam(http.Request, "with_count"))
            answer["count"] = await c.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM volumes v WHERE {string.Join(" AND ", where.Where(w => !w.Contains("@marker", StringComparison.Ordinal)))}", args);
        return Results.Json(answer);
    }

    /// <summary>
    /// cinder's sort (<c>sort=key:dir,...</c> or <c>sort_key</c>/<c>sort_dir</c>, default
    /// <c>created_at</c> desc then id) and marker/limit paging; returns the ORDER BY and the limit.
    /// </summary>
    public static async Task<(string OrderBy, int Limit)> PagingAsync(HttpRequest request, IReadOnlyDictionary<string, string> sortKeys, DynamicParameters args,
        List<string> where, string table, IDbConnectionFactory db)
    {
        var q = request.Query;
        var keys = new List<(string Column, bool Desc)>();
        var sort = q["sort"].LastOrDefault();
        if (sort is not null)
        {
            foreach (var part in sort.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var bits = part.Split(':');
                keys.Add((SortColumn(sortKeys, bits[0]), SortDesc(bits.Length > 1 ? bits[1] : "desc")));
            }
        }
        else if (q["sort_key"].LastOrDefault() is { } sk)
        {
            keys.Add((SortColumn(sortKeys, sk), SortDesc(q["sort_dir"].LastOrDefault() ?? "desc")));
        }
        if (keys.Count == 0) keys.Add(("created_at", true));
        if (!keys.Any(k => k.Column == "id")) keys.Add(("id", keys[^1].Desc));

        var limit = 1000;
        if (q["limit"].LastOrDefault() is { } limitText)
        {
            if (!int.TryParse(limitText, NumberStyles.Integer, CultureInfo.InvariantCulture, out limit)) throw CinderErrors.InvalidInput("limit param must be an integer");
            if (limit < 0) throw CinderErrors.InvalidInput("limit param must be positive");
            limit = Math.Min(limit, 1000);
        }
        if (q["marker"].LastOrDefault() is { } marker)
        {
            await using var c = await db.OpenAsync();
            var markerRow = await c.QuerySingleOrDefaultAsync($"SELECT {string.Join(", ", keys.Select(k => k.Column))} FROM {table} WHERE id = @marker AND deleted = 0", new { marker });
            if (markerRow is null) throw CinderErrors.NotFound($"Marker {marker} could not be found.");
            var values = (IDictionary<string, object?>)markerRow;
            // Rows after the marker in the sort order: (k1 > m1) or (k1 = m1 and k2 > m2) ...
            var ors = new List<string>();
            for (var i = 0; i < keys.Count; i++)
            {
                var ands = new List<string>();
                for (var j = 0; j < i; j++)
                {
                    ands.Add($"v.{keys[j].Column} <=> @marker{j}");
                }
                ands.Add($"v.{keys[i].Column} {(keys[i].Desc ? "<" : ">")} @marker{i}");
                ors.Add("(" + string.Join(" AND ", ands) + ")");
            }
            for (var j = 0; j < keys.Count; j++) args.Add($"marker{j}", values[keys[j].Column]);
            where.Add("(" + string.Join(" OR ", ors) + ") /* @marker */");
        }
        return (string.Join(", ", keys.Select(k => $"v.{k.Column} {(k.Desc ? "DESC" : "ASC")}")), limit);
    }

    private static string SortColumn(IReadOnlyDictionary<string, string> sortKeys, string key) =>
        sortKeys.TryGetValue(key, out var column) ? column : throw CinderErrors.InvalidInput($"Invalid input received: sort_key={key}");

    private static bool SortDesc(string dir) => dir.ToLowerInvariant() switch
    {
        "desc" => true,
        "asc" => false,
        _ => throw CinderErrors.InvalidInput($"Unknown sort direction, must be 'desc' or 'asc'"),
    };

    public static JsonArray NextLinks(HttpRequest request, string collection, string lastId)
    {
        var query = request.Query.Where(p => p.Key != "marker").SelectMany(p => p.Value.Select(v => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(v ?? "")}")).ToList();
        query.Add($"marker={lastId}");
        return [new JsonObject { ["rel"] = "next", ["href"] = $"{request.Scheme}://{request.Host}/v3/{CinderAuthz.Caller.ProjectId}/{collection}?{string.Join("&", query)}" }];
    }

    private static Dictionary<string, string> ParseFilterDict(string text, string name)
    {
        try
        {
            // cinder evaluates the filter as a Python literal; JSON with either quote works here.
            var json = JsonNode.Parse(text.Replace('\'', '"')) as JsonObject ?? throw new JsonException();
            return json.ToDictionary(p => p.Key, p => p.Value?.ToString() ?? "");
        }
        catch (JsonException)
        {
            throw CinderErrors.InvalidInput($"Invalid filter value for {name}: {text}");
        }
    }

    // ---- update, delete ----

    private static async Task<IResult> UpdateAsync(string id, HttpContext http, IDbConnectionFactory db, CinderAuthz authz, TimeProvider time)
    {
        var volume = CinderBody.Root(await CinderBody.ReadAsync(http.Request), "volume");
        var allowed = new[] { "name", "description", "display_name", "display_description", "metadata" };
        var extra = volume.Select(kv => kv.Key).Where(k => !allowed.Contains(k)).ToList();
        if (extra.Count > 0) throw CinderErrors.BadRequest($"Additional properties are not allowed ({string.Join(", ", extra.Select(e => $"'{e}'"))} {(extra.Count == 1 ? "was" : "were")} unexpected)");
        if (http.Microversion().AtLeast(53) && !volume.ContainsKey("name") && !volume.ContainsKey("description") && !volume.ContainsKey("display_name") && !volume.ContainsKey("display_description") && !volume.ContainsKey("metadata"))
            throw CinderErrors.BadRequest($"{volume.ToJsonString()} is not valid under any of the given schemas");
        var now = time.GetUtcNow().UtcDateTime;
        await using var c = await db.OpenAsync();
        await using (var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted))
        {
            var row = await VisibleAsync(c, id, authz, UpdateRule, tx, forUpdate: true);
            if (row.Status == "maintenance") throw CinderErrors.InvalidVolume("The volume cannot be updated during maintenance.");
            var name = volume.ContainsKey("name") || volume.ContainsKey("display_name") ? Text(volume, "name", 255) ?? Text(volume, "display_name", 255) : row.DisplayName;
            var description = volume.ContainsKey("description") || volume.ContainsKey("display_description")
                ? Text(volume, "description", 255) ?? Text(volume, "display_description", 255) : row.DisplayDescription;
            await c.ExecuteAsync("UPDATE volumes SET display_name = @name, display_description = @description, updated_at = @now WHERE id = @id",
                new { id, name, description, now }, tx);
            if (Metadata(volume, "metadata") is { } metadata) await VolumeStore.WriteMetadataAsync(tx, id, metadata, replace: true, now);
            await tx.CommitAsync();
        }
        var updated = (await VolumeStore.GetAsync(c, id))!;
        return Results.Json(new JsonObject { ["volume"] = VolumeView.Detail(http, authz, await VolumeStore.DetailsAsync(c, updated)) });
    }

    private static async Task<IResult> DeleteAsync(string id, HttpContext http, IDbConnectionFactory db, CinderAuthz authz, VolumeBackendClient backends, TimeProvider time)
    {
        var cascade = CinderBody.BoolParam(http.Request, "cascade");
        var force = http.Microversion().AtLeast(23) && CinderBody.BoolParam(http.Request, "force");
        var now = time.GetUtcNow().UtcDateTime;
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted);
        var row = await VisibleAsync(c, id, authz, DeleteRule, tx, forUpdate: true);
        if (force) authz.Enforce(ForceDeleteRule, row.ProjectId);
        await DeleteRowAsync(tx, row, backends, now, force, cascade, authz.IsAdmin);
        await tx.CommitAsync();
        backends.Flush();
        return Results.StatusCode(202);
    }

    /// <summary>
    /// cinder's delete: a volume never scheduled goes at once; one on a backend becomes
    /// <c>deleting</c> (with its snapshots, for a cascade) and the backend is told, in the same
    /// transaction. Refused, with cinder's message, while attached, with snapshots, or in a state
    /// that is not final.
    /// </summary>
    public static async Task DeleteRowAsync(System.Data.Common.DbTransaction tx, VolumeRow row, VolumeBackendClient backends, DateTime now, bool force, bool cascade, bool isAdmin)
    {
        var c = tx.Connection!;
        var snapshots = (await c.QueryAsync<(string Id, string Status, string ProjectId)>(
            "SELECT id, status, project_id FROM snapshots WHERE volume_id = @id AND deleted = 0 FOR UPDATE", new { row.Id }, tx)).ToList();
        var attached = row.AttachStatus == "attached"
            || await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM volume_attachment WHERE volume_id = @id AND deleted = 0 AND attach_status = 'attached'", new { row.Id }, tx) > 0;
        var statusOk = force || VolumeStatus.Deletable.Contains(row.Status);
        var snapshotsOk = snapshots.Count == 0
            || (cascade && (force || snapshots.All(s => s.Status is "available" or "error")) && (isAdmin || snapshots.All(s => s.ProjectId == row.ProjectId)));
        if (!statusOk || attached || !snapshotsOk || row.MigrationStatus is not null && !row.MigrationStatus.StartsWith("success", StringComparison.Ordinal) && row.MigrationStatus is not ("error" or "none")
            || row.GroupId is not null)
        {
            var status = force ? "" : $"status must be {string.Join(" or ", VolumeStatus.Deletable)} and ";
            throw CinderErrors.InvalidVolume($"Volume {status}must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.");
        }
        if (row.Host is null)
        {
            // Never placed: nothing on a backend to remove.
            await c.ExecuteAsync("DELETE FROM volume_metadata WHERE volume_id = @id", new { row.Id }, tx);
            await c.ExecuteAsync("UPDATE volumes SET status = 'deleted', deleted = 1, deleted_at = @now, terminated_at = @now WHERE id = @id", new { row.Id, now }, tx);
            return;
        }
        foreach (var s in snapshots)
        {
            await c.ExecuteAsync("UPDATE snapshots SET status = 'deleting', updated_at = @now WHERE id = @Id", new { s.Id, now }, tx);
            await backends.CastDeleteSnapshotAsync(tx, row.Host, new DeleteSnapshot(s.Id));
        }
        await c.ExecuteAsync("UPDATE volumes SET status = 'deleting', terminated_at = @now, updated_at = @now WHERE id = @id", new { row.Id, now }, tx);
        await backends.CastDeleteVolumeAsync(tx, row.Host, new DeleteVolume(row.Id));
    }

    // ---- metadata ----

    private static async Task<IResult> ShowMetadataAsync(string id, IDbConnectionFactory db, CinderAuthz authz)
    {
        await using var c = await db.OpenAsync();
        var row = await VisibleAsync(c, id, authz, GetMetadataRule);
        var meta = (await c.QueryAsync<(string, string)>("SELECT meta_key, meta_value FROM volume_metadata WHERE volume_id = @id", new { id })).ToDictionary(m => m.Item1, m => m.Item2);
        return Results.Json(new JsonObject { ["metadata"] = VolumeView.Map(meta) });
    }

    private static async Task<IResult> WriteMetadataAsync(string id, HttpRequest request, IDbConnectionFactory db, CinderAuthz authz, TimeProvider time, bool replace)
    {
        var body = CinderBody.Root(await CinderBody.ReadAsync(request), "metadata");
        var metadata = Metadata(new JsonObject { ["metadata"] = body.DeepClone() }, "metadata")!;
        var now = time.GetUtcNow().UtcDateTime;
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted);
        var row = await VisibleAsync(c, id, authz, replace ? UpdateMetadataRule : CreateMetadataRule, tx, forUpdate: true);
        if (row.Status == "maintenance") throw CinderErrors.InvalidVolume("Updating volume metadata is not allowed for volumes in maintenance status.");
        await VolumeStore.WriteMetadataAsync(tx, id, metadata, replace, now);
        await c.ExecuteAsync("UPDATE volumes SET updated_at = @now WHERE id = @id", new { id, now }, tx);
        var all = (await c.QueryAsync<(string, string)>("SELECT meta_key, meta_value FROM volume_metadata WHERE volume_id = @id", new { id }, tx)).ToDictionary(m => m.Item1, m => m.Item2);
        await tx.CommitAsync();
        return Results.Json(new JsonObject { ["metadata"] = VolumeView.Map(all) });
    }

    private static async Task<IResult> ShowMetadataKeyAsync(string id, string key, IDbConnectionFactory db, CinderAuthz authz)
    {
        await using var c = await db.OpenAsync();
        await VisibleAsync(c, id, authz, GetMetadataRule);
        var value = await c.ExecuteScalarAsync<string?>("SELECT meta_value FROM volume_metadata WHERE volume_id = @id AND meta_key = @key", new { id, key });
        if (value is null) throw CinderErrors.NotFound($"Volume {id} has no metadata with key {key}.");
        return Results.Json(new JsonObject { ["meta"] = new JsonObject { [key] = value } });
    }

    private static async Task<IResult> UpdateMetadataKeyAsync(string id, string key, HttpRequest request, IDbConnectionFactory db, CinderAuthz authz, TimeProvider time)
    {
        var meta = CinderBody.Root(await CinderBody.ReadAsync(request), "meta");
        var values = Metadata(new JsonObject { ["meta"] = meta.DeepClone() }, "meta")!;
        if (values.Count > 1) throw CinderErrors.BadRequest("Request body contains too many items");
        if (!values.ContainsKey(key)) throw CinderErrors.BadRequest("Request body and URI mismatch");
        var now = time.GetUtcNow().UtcDateTime;
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted);
        await VisibleAsync(c, id, authz, UpdateMetadataRule, tx, forUpdate: true);
        await VolumeStore.WriteMetadataAsync(tx, id, values, replace: false, now);
        await tx.CommitAsync();
        return Results.Json(new JsonObject { ["meta"] = VolumeView.Map(values) });
    }

    private static async Task<IResult> DeleteMetadataKeyAsync(string id, string key, IDbConnectionFactory db, CinderAuthz authz)
    {
        await using var c = await db.OpenAsync();
        var row = await VisibleAsync(c, id, authz, DeleteMetadataRule);
        if (row.Status == "maintenance") throw CinderErrors.InvalidVolume("Deleting volume metadata is not allowed for volumes in maintenance status.");
        var deleted = await c.ExecuteAsync("DELETE FROM volume_metadata WHERE volume_id = @id AND meta_key = @key", new { id, key });
        if (deleted == 0) throw CinderErrors.NotFound($"Volume {id} has no metadata with key {key}.");
        return Results.Ok();
    }

    // ---- body members, checked as cinder's schemas check them ----

    public static string? Text(JsonObject o, string member, int max)
    {
        if (!o.TryGetPropertyValue(member, out var node) || node is null) return null;
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
            throw CinderErrors.InvalidField(member, CinderBody.Python(node), $"{CinderBody.Python(node)} is not of type 'string'");
        var text = v.GetValue<string>().Trim();
        if (text.Length > max) throw CinderErrors.InvalidField(member, text, $"'{text}' is too long");
        return text;
    }

    private static string? Uuid(JsonObject o, string member)
    {
        var text = Text(o, member, 255);
        if (text is null) return null;
        return Guid.TryParse(text, out _) ? text : throw CinderErrors.InvalidField(member, text, $"'{text}' is not a 'uuid'");
    }

    private static bool Bool(JsonObject o, string member) =>
        o.TryGetPropertyValue(member, out var node) && node switch
        {
            JsonValue v when v.GetValueKind() == JsonValueKind.True => true,
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>().ToLowerInvariant() is "1" or "t" or "true" or "on" or "y" or "yes",
            _ => false,
        };

    /// <summary>A volume size: an integer (or a string of digits) from 1 to 2147483647.</summary>
    public static int Size(JsonNode node, string member = "size")
    {
        long value;
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out var n)) value = n;
        else if (node is JsonValue s && s.GetValueKind() == JsonValueKind.String && long.TryParse(s.GetValue<string>(), NumberStyles.None, CultureInfo.InvariantCulture, out var p)) value = p;
        else throw CinderErrors.InvalidField(member, CinderBody.Python(node), $"{CinderBody.Python(node)} is not of type 'integer', 'string', 'null'");
        if (value < 1) throw CinderErrors.InvalidField(member, CinderBody.Python(node), $"{CinderBody.Python(node)} is less than the minimum of 1");
        if (value > MaxInt) throw CinderErrors.InvalidField(member, CinderBody.Python(node), $"{CinderBody.Python(node)} is greater than the maximum of {MaxInt}");
        return (int)value;
    }

    /// <summary>A metadata object: string keys of 1 to 255 characters, string values of at most 255.</summary>
    public static Dictionary<string, string>? Metadata(JsonObject o, string member)
    {
        if (!o.TryGetPropertyValue(member, out var node) || node is null) return null;
        if (node is not JsonObject meta) throw CinderErrors.InvalidField(member, CinderBody.Python(node), $"{CinderBody.Python(node)} is not of type 'object'");
        var result = new Dictionary<string, string>();
        foreach (var (k, val) in meta)
        {
            if (k.Length is 0 or > 255) throw CinderErrors.InvalidField(member, meta.ToJsonString(), $"'{k}' does not match any of the regexes");
            if (val is not JsonValue sv || sv.GetValueKind() != JsonValueKind.String)
                throw CinderErrors.InvalidField($"{member}.{k}", CinderBody.Python(val), $"{CinderBody.Python(val)} is not of type 'string'");
            var text = sv.GetValue<string>();
            if (text.Length > 255) throw CinderErrors.InvalidField($"{member}.{k}", text, $"'{text}' is too long");
            result[k] = text;
        }
        return result;
    }
}
