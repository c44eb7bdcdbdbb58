using System.Data;
using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Platform.Data;
using Platform.Hosting;
using Volume.Common;
using Volume.Volumes;

namespace Volume.Types;

/// <summary>
/// /types: volume types with their extra specs and, for private ones, the projects that may use
/// them. Anyone reads the public types and the private ones their project was given; admins
/// manage them. Extra specs are shown to readers only where cinder shows them (the
/// user-visible keys), all of them to admins. A type renamed takes its per-type quotas along.
/// </summary>
public static class VolumeTypesApi
{
    private const string ManageRule = "volume_extension:types_manage";
    private const string CreateRule = "volume_extension:type_create";
    private const string UpdateRule = "volume_extension:type_update";
    private const string DeleteRule = "volume_extension:type_delete";
    private const string GetRule = "volume_extension:type_get";
    private const string GetAllRule = "volume_extension:type_get_all";
    private const string ExtraSpecsRule = "volume_extension:access_types_extra_specs";
    private const string ReadSensitiveRule = "volume_extension:types_extra_specs:read_sensitive";
    private const string QosRule = "volume_extension:access_types_qos_specs_id";
    private const string TypeAccessRule = "volume_extension:volume_type_access";

    /// <summary>Extra specs a reader sees (cinder's USER_VISIBLE_EXTRA_SPECS).</summary>
    private static readonly string[] UserVisibleSpecs = ["multiattach", "RESKEY:availability_zones", "replication_enabled"];

    private sealed record TypeRow(string Id, string Name, string? Description, bool IsPublic, string? QosSpecsId);

    public static void MapVolumeTypes(this RouteGroupBuilder v3)
    {
        v3.MapGet("/types", ListAsync);
        v3.MapGet("/types/{id}", ShowAsync);
        v3.MapPost("/types", CreateAsync);
        v3.MapPut("/types/{id}", UpdateAsync);
        v3.MapDelete("/types/{id}", DeleteAsync);
        v3.MapGet("/types/{id}/extra_specs", ListSpecsAsync);
        v3.MapPost("/types/{id}/extra_specs", CreateSpecsAsync);
        v3.MapGet("/types/{id}/extra_specs/{key}", ShowSpecAsync);
        v3.MapPut("/types/{id}/extra_specs/{key}", UpdateSpecAsync);
        v3.MapDelete("/types/{id}/extra_specs/{key}", DeleteSpecAsync);
        v3.MapPost("/types/{id}/action", ActAsync);
        v3.MapGet("/types/{id}/os-volume-type-access", ListAccessAsync);
    }

    // ---- reads ----

    private static async Task<IResult> ListAsync(HttpRequest request, IDbConnectionFactory db, CinderAuthz authz)
    {
        authz.Enforce(GetAllRule);
        bool? isPublic = true;
        if (authz.IsAdmin)
        {
            var text = request.Query["is_public"].LastOrDefault();
            isPublic = text is null || text.Equals("none", StringComparison.OrdinalIgnoreCase) ? null : CinderBody.BoolParam(request, "is_public");
        }
        await using var c = await db.OpenAsync();
        var rows = (await c.QueryAsync<TypeRow>("""
            SELECT id, name, description, is_public, qos_specs_id FROM volume_types t
             WHERE deleted = 0
               AND (@isPublic IS NULL OR is_public = @isPublic
                    OR (@isPublic = 1 AND EXISTS (SELECT 1 FROM volume_type_projects p WHERE p.volume_type_id = t.id AND p.project_id = @project)))
             ORDER BY name
            """, new { isPublic, project = CinderAuthz.Caller.ProjectId })).ToList();
        var specs = await SpecsAsync(c, [.. rows.Select(r => r.Id)]);
        var list = new JsonArray();
        foreach (var r in rows) list.Add(View(authz, r, specs[r.Id].ToDictionary(s => s.Key, s => s.Value)));
        return Results.Json(new JsonObject { ["volume_types"] = list });
    }

    private static async Task<IResult> ShowAsync(string id, IDbConnectionFactory db, CinderAuthz authz, VolumeSettings settings)
    {
        await using var c = await db.OpenAsync();
        var row = id == "default" ? await DefaultAsync(c, settings) : await VisibleAsync(c, id, authz);
        authz.Enforce(GetRule);
        return Results.Json(new JsonObject { ["volume_type"] = View(authz, row, await SpecsOfAsync(c, row.Id)) });
    }

    private static async Task<TypeRow> DefaultAsync(DbConnection c, VolumeSettings settings) =>
        await c.QuerySingleOrDefaultAsync<TypeRow>("SELECT id, name, description, is_public, qos_specs_id FROM volume_types WHERE name = @name AND deleted = 0",
            new { name = settings.DefaultVolumeType })
        ?? throw CinderErrors.NotFound("Default volume type can not be found.");

    /// <summary>A type the caller may see (public, its project's, or any for an admin), by id; else cinder's 404.</summary>
    private static async Task<TypeRow> VisibleAsync(DbConnection c, string id, CinderAuthz authz, DbTransaction? tx = null)
    {
        var row = await c.QuerySingleOrDefaultAsync<TypeRow>(
            "SELECT id, name, description, is_public, qos_specs_id FROM volume_types WHERE id = @id AND deleted = 0", new { id }, tx);
        var visible = row is not null && (row.IsPublic || authz.IsAdmin || await c.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM volume_type_projects WHERE volume_type_id = @id AND project_id = @project", new { id, project = CinderAuthz.Caller.ProjectId }, tx) > 0);
        return visible ? row! : throw CinderErrors.NotFound($"Volume type {id} could not be found.");
    }

    private static async Task<ILookup<string, (string Key, string Value)>> SpecsAsync(DbConnection c, string[] ids, DbTransaction? tx = null) =>
        ids.Length == 0 ? Array.Empty<(string Id, string Key, string Value)>().ToLookup(s => s.Id, s => (s.Key, s.Value))
            : (await c.QueryAsync<(string Id, string Key, string Value)>(
                "SELECT volume_type_id, spec_key, spec_value FROM volume_type_extra_specs WHERE volume_type_id IN @ids ORDER BY spec_key", new { ids }, tx))
                .ToLookup(s => s.Id, s => (s.Key, s.Value));

    private static async Task<Dictionary<string, string>> SpecsOfAsync(DbConnection c, string id, DbTransaction? tx = null) =>
        (await SpecsAsync(c, [id], tx))[id].ToDictionary(s => s.Key, s => s.Value);

    private static JsonObject View(CinderAuthz authz, TypeRow t, IReadOnlyDictionary<string, string> specs)
    {
        var view = new JsonObject
        {
            ["id"] = t.Id,
            ["name"] = t.Name,
            ["is_public"] = t.IsPublic,
            ["description"] = t.Description,
        };
        if (authz.Allows(ExtraSpecsRule))
        {
            var shown = authz.Allows(ReadSensitiveRule) ? specs : specs.Where(s => UserVisibleSpecs.Contains(s.Key)).ToDictionary(s => s.Key, s => s.Value);
            view["extra_specs"] = VolumeView.Map(shown);
        }
        if (authz.Allows(QosRule)) view["qos_specs_id"] = t.QosSpecsId;
        view["os-volume-type-access:is_public"] = t.IsPublic;
        return view;
    }

    // ---- changes (admins) ----

    private static async Task<IResult> CreateAsync(HttpRequest request, IDbConnectionFactory db, CinderAuthz authz, TimeProvider time)
    {
        var body = CinderBody.Root(await CinderBody.ReadAsync(request), "volume_type");
        authz.Enforce(CreateRule);
        var name = Name(body) ?? throw CinderErrors.BadRequest("'name' is a required property");
        var description = VolumesApi.Text(body, "description", 255);
        var isPublic = Flag(body, "os-volume-type-access:is_public") ?? Flag(body, "is_public") ?? true;
        var specs = Specs(body, "extra_specs") ?? [];
        var id = Guid.NewGuid().ToString();
        var now = time.GetUtcNow().UtcDateTime;
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted);
        if (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM volume_types WHERE name = @name AND deleted = 0 FOR UPDATE", new { name }, tx) > 0)
            throw ApiException.Conflict($"Volume Type {name} already exists.");
        await c.ExecuteAsync("""
            INSERT INTO volume_types (id, name, description, is_public, created_at, updated_at) VALUES (@id, @name, @description, @isPublic, @now, @now)
            """, new { id, name, description, isPublic, now }, tx);
        await WriteSpecsAsync(tx, id, specs, now);
        await tx.CommitAsync();
        return Results.Json(new JsonObject { ["volume_type"] = View(authz, new TypeRow(id, name, description, isPublic, null), specs) });
    }

    private static async Task<IResult> UpdateAsync(string id, HttpRequest request, IDbConnectionFactory db, CinderAuthz authz, TimeProvider time)
    {
        var body = CinderBody.Root(await CinderBody.ReadAsync(request), "volume_type");
        authz.Enforce(UpdateRule);
        var name = Name(body);
        var description = body.ContainsKey("description") ? VolumesApi.Text(body, "description", 255) : null;
        var isPublic = Flag(body, "is_public");
        if (name is null && !body.ContainsKey("description") && isPublic is null)
            throw CinderErrors.BadRequest("Specify volume type name, description, is_public or a combination thereof.");
        var now = time.GetUtcNow().UtcDateTime;
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted);
        var row = await VisibleAsync(c, id, authz, tx);
        if (name is not null && name != row.Name)
        {
            if (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM volume_types WHERE name = @name AND deleted = 0 FOR UPDATE", new { name }, tx) > 0)
                throw ApiException.Conflict($"Volume Type {name} already exists.");
            // The type's own quotas follow its name (volumes_<name>, gigabytes_<name>, snapshots_<name>).
            foreach (var part in Quotas.QuotaEngine.PerTypeParts)
                await c.ExecuteAsync("UPDATE quotas SET resource = @to, updated_at = @now WHERE resource = @from",
                    new { from = $"{part}_{row.Name}", to = $"{part}_{name}", now }, tx);
        }
        await c.ExecuteAsync("""
            UPDATE volume_types SET name = @name, description = @description, is_public = @isPublic, updated_at = @now WHERE id = @id
            """, new { id, name = name ?? row.Name, description = body.ContainsKey("description") ? description : row.Description, isPublic = isPublic ?? row.IsPublic, now }, tx);
        await tx.CommitAsync();
        var updated = await VisibleAsync(c, id, authz);
        return Results.Json(new JsonObject { ["volume_type"] = View(authz, updated, await SpecsOfAsync(c, id)) });
    }

    private static async Task<IResult> DeleteAsync(string id, IDbConnectionFactory db, CinderAuthz authz, VolumeSettings settings, TimeProvider time)
    {
        authz.Enforce(DeleteRule);
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted);
        var row = await VisibleAsync(c, id, authz, tx);
        if (row.Name == settings.DefaultVolumeType)
            throw CinderErrors.BadRequest($"The volume type {id} is a default volume type and cannot be deleted.");
        if (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM volume_types WHERE deleted = 0", transaction: tx) <= 1)
            throw CinderErrors.BadRequest($"The volume type {id} is the only currently defined volume type and cannot be deleted.");
        if (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM volumes WHERE volume_type_id = @id AND deleted = 0", new { id }, tx) > 0)
            throw CinderErrors.BadRequest("Target volume type is still in use.");
        var now = time.GetUtcNow().UtcDateTime;
        await c.ExecuteAsync("DELETE FROM volume_type_extra_specs WHERE volume_type_id = @id", new { id }, tx);
        await c.ExecuteAsync("DELETE FROM volume_type_projects WHERE volume_type_id = @id", new { id }, tx);
        foreach (var part in Quotas.QuotaEngine.PerTypeParts)
            await c.ExecuteAsync("DELETE FROM quotas WHERE resource = @resource", new { resource = $"{part}_{row.Name}" }, tx);
        await c.ExecuteAsync("UPDATE volume_types SET deleted = 1, deleted_at = @now WHERE id = @id", new { id, now }, tx);
        await tx.CommitAsync();
        return Results.StatusCode(202);
    }

    // ---- extra specs ----

    private static async Task<IResult> ListSpecsAsync(string id, IDbConnectionFactory db, CinderAuthz authz)
    {
        authz.Enforce("volume_extension:types_extra_specs:index");
        await using var c = await db.OpenAsync();
        await VisibleAsync(c, id, authz);
        var specs = await SpecsOfAsync(c, id);
        var shown = authz.Allows(ReadSensitiveRule) ? specs : specs.Where(s => UserVisibleSpecs.Contains(s.Key)).ToDictionary(s => s.Key, s => s.Value);
        return Results.Json(new JsonObject { ["extra_specs"] = VolumeView.Map(shown) });
    }

    private static async Task<IResult> CreateSpecsAsync(string id, HttpRequest request, IDbConnectionFactory db, CinderAuthz authz, TimeProvider time)
    {
        authz.Enforce("volume_extension:types_extra_specs:create");
        var body = await CinderBody.ReadAsync(request);
        var specs = Specs(body, "extra_specs") ?? throw CinderErrors.BadRequest("'extra_specs' is a required property");
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted);
        await VisibleAsync(c, id, authz, tx);
        await WriteSpecsAsync(tx, id, specs, time.GetUtcNow().UtcDateTime);
        await tx.CommitAsync();
        return Results.Json(new JsonObject { ["extra_specs"] = VolumeView.Map(specs) });
    }

    private static async Task<IResult> ShowSpecAsync(string id, string key, IDbConnectionFactory db, CinderAuthz authz)
    {
        authz.Enforce("volume_extension:types_extra_specs:show");
        await using var c = await db.OpenAsync();
        await VisibleAsync(c, id, authz);
        var specs = await SpecsOfAsync(c, id);
        if (!specs.TryGetValue(key, out var value) || (!authz.Allows(ReadSensitiveRule) && !UserVisibleSpecs.Contains(key)))
            throw CinderErrors.NotFound($"Volume Type {id} has no extra specs with key {key}.");
        return Results.Json(new JsonObject { [key] = value });
    }

    private static async Task<IResult> UpdateSpecAsync(string id, string key, HttpRequest request, IDbConnectionFactory db, CinderAuthz authz, TimeProvider time)
    {
        authz.Enforce("volume_extension:types_extra_specs:update");
        var body = await CinderBody.ReadAsync(request);
        var specs = Specs(new JsonObject { ["extra_specs"] = body.DeepClone() }, "extra_specs")!;
        if (specs.Count > 1) throw CinderErrors.BadRequest("Request body contains too many items.");
        if (!specs.ContainsKey(key)) throw CinderErrors.BadRequest("Request body and URI mismatch");
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted);
        await VisibleAsync(c, id, authz, tx);
        await WriteSpecsAsync(tx, id, specs, time.GetUtcNow().UtcDateTime);
        await tx.CommitAsync();
        return Results.Json(VolumeView.Map(specs));
    }

    private static async Task<IResult> DeleteSpecAsync(string id, string key, IDbConnectionFactory db, CinderAuthz authz)
    {
        authz.Enforce("volume_extension:types_extra_specs:delete");
        await using var c = await db.OpenAsync();
        await VisibleAsync(c, id, authz);
        if (await c.ExecuteAsync("DELETE FROM volume_type_extra_specs WHERE volume_type_id = @id AND spec_key = @key", new { id, key }) == 0)
            throw CinderErrors.NotFound($"Volume Type {id} has no extra specs with key {key}.");
        return Results.StatusCode(202);
    }

    private static async Task WriteSpecsAsync(DbTransaction tx, string id, IReadOnlyDictionary<string, string> specs, DateTime now)
    {
        if (specs.Count == 0) return;
        await tx.Connection!.ExecuteAsync("""
            INSERT INTO volume_type_extra_specs (volume_type_id, spec_key, spec_value, created_at) VALUES (@id, @Key, @Value, @now)
            ON DUPLICATE KEY UPDATE spec_value = VALUES(spec_value), updated_at = @now
            """, specs.Select(s => new { id, s.Key, s.Value, now }), tx);
    }

    // ---- access to private types ----

    private static async Task<IResult> ActAsync(string id, HttpRequest request, IDbConnectionFactory db, CinderAuthz authz, TimeProvider time)
    {
        authz.Enforce(TypeAccessRule);
        var body = await CinderBody.ReadAsync(request);
        var (action, args) = body.Count == 1 ? (body.First().Key, body.First().Value as JsonObject) : ("", null);
        if (action is not ("addProjectAccess" or "removeProjectAccess"))
            throw CinderErrors.BadRequest($"There is no such action: {string.Join(",", body.Select(kv => kv.Key))}");
        authz.Enforce($"{TypeAccessRule}:{action}");
        var project = args is null ? null : VolumesApi.Text(args, "project", 255);
        if (string.IsNullOrEmpty(project)) throw CinderErrors.BadRequest("Missing required element 'project' in request body.");
        await using var c = await db.OpenAsync();
        var row = await VisibleAsync(c, id, authz);
        if (row.IsPublic) throw CinderErrors.BadRequest("Invalid volume type: Type access modification is not applicable to public volume type.");
        if (action == "addProjectAccess")
        {
            var added = await c.ExecuteAsync("""
                INSERT IGNORE INTO volume_type_projects (volume_type_id, project_id, created_at) VALUES (@id, @project, @now)
                """, new { id, project, now = time.GetUtcNow().UtcDateTime });
            if (added == 0) throw ApiException.Conflict($"Volume type access for {id} / {project} combination already exists.");
        }
        else if (await c.ExecuteAsync("DELETE FROM volume_type_projects WHERE volume_type_id = @id AND project_id = @project", new { id, project }) == 0)
        {
            throw CinderErrors.NotFound($"Volume type access not found for {id} / {project} combination.");
        }
        return Results.StatusCode(202);
    }

    private static async Task<IResult> ListAccessAsync(string id, IDbConnectionFactory db, CinderAuthz authz)
    {
        authz.Enforce($"{TypeAccessRule}:get_all_for_type");
        await using var c = await db.OpenAsync();
        var row = await VisibleAsync(c, id, authz);
        if (row.IsPublic) throw CinderErrors.NotFound("Access list not available for public volume types.");
        var list = new JsonArray();
        foreach (var p in await c.QueryAsync<string>("SELECT project_id FROM volume_type_projects WHERE volume_type_id = @id ORDER BY project_id", new { id }))
            list.Add(new JsonObject { ["volume_type_id"] = id, ["project_id"] = p });
        return Results.Json(new JsonObject { ["volume_type_access"] = list });
    }

    // ---- body members ----

    private static string? Name(JsonObject body)
    {
        var name = VolumesApi.Text(body, "name", 255);
        if (name is { Length: 0 }) throw CinderErrors.InvalidField("name", "", "'' is too short");
        return name;
    }

    private static bool? Flag(JsonObject body, string member) => body[member] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.True => true,
        JsonValue v when v.GetValueKind() == JsonValueKind.False => false,
        JsonValue v when v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().ToLowerInvariant() is "1" or "t" or "true" or "on" or "y" or "yes" => true,
        JsonValue v when v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().ToLowerInvariant() is "0" or "f" or "false" or "off" or "n" or "no" => false,
        var other => throw CinderErrors.InvalidField(member, CinderBody.Python(other), $"{CinderBody.Python(other)} is not of type 'boolean'"),
    };

    /// <summary>Extra specs: keys of 1 to 255 characters, values strings (numbers and booleans as cinder stringifies them) of at most 255.</summary>
    private static Dictionary<string, string>? Specs(JsonObject body, string member)
    {
        if (body[member] is null) return null;
        if (body[member] is not JsonObject specs) throw CinderErrors.InvalidField(member, CinderBody.Python(body[member]), $"{CinderBody.Python(body[member])} is not of type 'object'");
        var result = new Dictionary<string, string>();
        foreach (var (key, node) in specs)
        {
            if (key.Length is 0 or > 255) throw CinderErrors.InvalidField(member, specs.ToJsonString(), $"'{key}' does not match any of the regexes");
            var value = node switch
            {
                JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
                JsonValue v when v.GetValueKind() == JsonValueKind.True => "True",
                JsonValue v when v.GetValueKind() == JsonValueKind.False => "False",
                JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.ToJsonString(),
                _ => throw CinderErrors.InvalidField($"{member}.{key}", CinderBody.Python(node), $"{CinderBody.Python(node)} is not of type 'string'"),
            };
            if (value.Length > 255) throw CinderErrors.InvalidField($"{member}.{key}", value, $"'{value}' is too long");
            result[key] = value;
        }
        return result;
    }
}
