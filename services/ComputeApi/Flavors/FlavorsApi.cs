using System.Data.Common;
using System.Text.Json.Nodes;
using ComputeApi.Common;
using Dapper;
using Platform.Data;

namespace ComputeApi.Flavors;

/// <summary>/flavors (list, detail, show, create, update, delete) with nova's flavor views per microversion.</summary>
public static class FlavorsApi
{
    private static readonly Dictionary<string, string> SortColumns = new()
    {
        ["id"] = "flavorid", ["flavorid"] = "flavorid", ["name"] = "name", ["memory_mb"] = "memory_mb", ["vcpus"] = "vcpus", ["root_gb"] = "root_gb",
        ["ephemeral_gb"] = "ephemeral_gb", ["swap"] = "swap", ["rxtx_factor"] = "rxtx_factor", ["is_public"] = "is_public", ["disabled"] = "disabled",
        ["created_at"] = "created_at", ["description"] = "description",
    };

    public static void MapFlavors(this RouteGroupBuilder v21)
    {
        v21.MapGet("/flavors", (HttpContext http, IDbConnectionFactory db, NovaAuthz authz) => ListAsync(http, db, authz, detail: false));
        v21.MapGet("/flavors/detail", (HttpContext http, IDbConnectionFactory db, NovaAuthz authz) => ListAsync(http, db, authz, detail: true));
        v21.MapGet("/flavors/{id}", ShowAsync);
        v21.MapPost("/flavors", CreateAsync);
        v21.MapPut("/flavors/{id}", UpdateAsync);
        v21.MapDelete("/flavors/{id}", DeleteAsync);
    }

    public static JsonArray Links(HttpRequest request, string collection, string id)
    {
        var root = $"{request.Scheme}://{request.Host}{request.PathBase}";
        return
        [
            new JsonObject { ["rel"] = "self", ["href"] = $"{root}/v2.1/{collection}/{id}" },
            new JsonObject { ["rel"] = "bookmark", ["href"] = $"{root}/{collection}/{id}" },
        ];
    }

    public static JsonObject View(HttpContext http, FlavorRow f, bool detail, NovaAuthz authz)
    {
        var version = http.Microversion();
        var view = new JsonObject { ["id"] = f.Flavorid, ["name"] = f.Name };
        if (detail)
        {
            view["ram"] = f.MemoryMb;
            view["disk"] = f.RootGb;
            view["swap"] = version.AtLeast(75) ? f.Swap : f.Swap == 0 ? "" : f.Swap;
            view["OS-FLV-EXT-DATA:ephemeral"] = f.EphemeralGb;
            view["OS-FLV-DISABLED:disabled"] = f.Disabled;
            view["vcpus"] = f.Vcpus;
            view["os-flavor-access:is_public"] = f.IsPublic;
            view["rxtx_factor"] = f.RxtxFactor;
        }
        view["links"] = Links(http.Request, "flavors", f.Flavorid);
        if (version.AtLeast(55)) view["description"] = f.Description;
        if (detail && version.AtLeast(61) && authz.Allows("os_compute_api:os-flavor-extra-specs:index", NovaAuthz.Caller.ProjectId))
            view["extra_specs"] = new JsonObject(f.ExtraSpecs.Select(s => KeyValuePair.Create(s.Key, (JsonNode?)s.Value)));
        return view;
    }

    private static async Task<IResult> ListAsync(HttpContext http, IDbConnectionFactory db, NovaAuthz authz, bool detail)
    {
        var request = http.Request;
        var caller = NovaAuthz.Caller;
        var where = new List<string>();
        var args = new DynamicParameters();
        args.Add("project", caller.ProjectId ?? "");
        bool? isPublic = true;
        if (authz.IsAdmin)
        {
            var text = request.Query["is_public"].LastOrDefault()?.ToLowerInvariant();
            isPublic = text switch
            {
                null => true,
                "none" => null,
                "true" or "t" or "1" or "yes" or "y" or "on" => true,
                "false" or "f" or "0" or "no" or "n" or "off" => false,
                _ => throw NovaErrors.BadRequest($"Invalid is_public filter [{text}]"),
            };
        }
        else where.Add("f.disabled = 0");
        if (isPublic is true) where.Add("(f.is_public = 1 OR EXISTS (SELECT 1 FROM flavor_projects p WHERE p.flavor_internal_id = f.internal_id AND p.project_id = @project))");
        else if (isPublic is false) where.Add("f.is_public = 0");
        if (request.Query["minRam"].LastOrDefault() is { } minRam)
        {
            if (!int.TryParse(minRam, out var v) || v < 0) throw NovaErrors.BadRequest($"Invalid minRam filter [{minRam}]");
            where.Add("f.memory_mb >= @minRam");
            args.Add("minRam", v);
        }
        if (request.Query["minDisk"].LastOrDefault() is { } minDisk)
        {
            if (!int.TryParse(minDisk, out var v) || v < 0) throw NovaErrors.BadRequest($"Invalid minDisk filter [{minDisk}]");
            where.Add("f.root_gb >= @minDisk");
            args.Add("minDisk", v);
        }
        var sortKey = request.Query["sort_key"].LastOrDefault() ?? "flavorid";
        var sortDir = request.Query["sort_dir"].LastOrDefault() ?? "asc";
        if (!SortColumns.TryGetValue(sortKey, out var sortColumn)) throw NovaErrors.BadRequest($"Invalid input for query parameters sort_key. Value: {sortKey}.");
        if (sortDir is not ("asc" or "desc")) throw NovaErrors.BadRequest($"Invalid input for query parameters sort_dir. Value: {sortDir}. '{sortDir}' is not one of ['asc', 'desc']");
        var limit = NovaBody.QueryInt(request, "limit");
        var marker = request.Query["marker"].LastOrDefault();

        await using var c = await db.OpenAsync();
        var flavors = (await c.QueryAsync<FlavorRow>(
            $"SELECT {FlavorRow.Columns.Replace("internal_id", "f.internal_id", StringComparison.Ordinal)} FROM flavors f {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : "")} ORDER BY f.{sortColumn} {sortDir}, f.flavorid {sortDir}",
            args)).ToList();
        if (marker is not null)
        {
            var at = flavors.FindIndex(f => f.Flavorid == marker);
            if (at < 0) throw NovaErrors.BadRequest($"marker [{marker}] not found");
            flavors = flavors[(at + 1)..];
        }
        var more = limit is { } l && flavors.Count > l;
        if (limit is { } n) flavors = [.. flavors.Take(n)];
        if (detail && http.Microversion().AtLeast(61)) await LoadExtraSpecsAsync(c, flavors);
        var body = new JsonObject { ["flavors"] = new JsonArray([.. flavors.Select(f => (JsonNode)View(http, f, detail, authz))]) };
        if (more)
        {
            var root = $"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}";
            body["flavors_links"] = new JsonArray(new JsonObject { ["rel"] = "next", ["href"] = $"{root}?limit={limit}&marker={Uri.EscapeDataString(flavors[^1].Flavorid)}" });
        }
        return Results.Json(body);
    }

    private static async Task LoadExtraSpecsAsync(DbConnection c, List<FlavorRow> flavors)
    {
        if (flavors.Count == 0) return;
        var specs = (await c.QueryAsync<(int Id, string Key, string Value)>(
            "SELECT flavor_internal_id, spec_key, spec_value FROM flavor_extra_specs WHERE flavor_internal_id IN @ids", new { ids = flavors.Select(f => f.InternalId).ToList() }))
            .ToLookup(s => s.Id);
        foreach (var f in flavors) f.ExtraSpecs = specs[f.InternalId].ToDictionary(s => s.Key, s => s.Value);
    }

    private static async Task<IResult> ShowAsync(string id, HttpContext http, IDbConnectionFactory db, NovaAuthz authz)
    {
        await using var c = await db.OpenAsync();
        var flavor = await FlavorStore.FindVisibleAsync(c, authz, id);
        return Results.Json(new JsonObject { ["flavor"] = View(http, flavor, true, authz) });
    }

    private static async Task<IResult> CreateAsync(HttpContext http, IDbConnectionFactory db, NovaAuthz authz, TimeProvider time)
    {
        authz.Enforce("os_compute_api:os-flavor-manage:create");
        var body = NovaBody.Section(await NovaBody.ReadAsync(http.Request), "flavor");
        var version = http.Microversion();
        var allowed = new List<string> { "name", "id", "ram", "vcpus", "disk", "OS-FLV-EXT-DATA:ephemeral", "swap", "rxtx_factor", "os-flavor-access:is_public" };
        if (version.AtLeast(55)) allowed.Add("description");
        NovaBody.Only(body, [.. allowed]);
        var name = NovaBody.String(body, "name", 1, 255, required: true)!.Trim();
        if (name.Length == 0) throw NovaErrors.InvalidInput("name", name, "Invalid input: name must not be blank");
        string id;
        switch (body["id"])
        {
            case null:
                id = Guid.NewGuid().ToString();
                break;
            case JsonValue v when v.TryGetValue<string>(out var s):
                if (s.Length is < 1 or > 255 || !System.Text.RegularExpressions.Regex.IsMatch(s, @"^(?! )[a-zA-Z0-9. _-]+(?<! )$"))
                    throw NovaErrors.InvalidInput("id", s, $"'{s}' does not match '^(?! )[a-zA-Z0-9. _-]+(?<! )$'");
                id = s;
                break;
            case JsonValue v when v.TryGetValue<long>(out var n):
                id = n.ToString(System.Globalization.CultureInfo.InvariantCulture);
                break;
            case var other:
                throw NovaErrors.InvalidInput("id", other.ToJsonString(), $"{other.ToJsonString()} is not of type 'string', 'integer', 'null'");
        }
        var flavor = new FlavorRow
        {
            Flavorid = id,
            Name = name,
            MemoryMb = NovaBody.Int(body, "ram", 1, int.MaxValue, required: true)!.Value,
            Vcpus = NovaBody.Int(body, "vcpus", 1, int.MaxValue, required: true)!.Value,
            RootGb = NovaBody.Int(body, "disk", 0, int.MaxValue, required: true)!.Value,
            EphemeralGb = NovaBody.Int(body, "OS-FLV-EXT-DATA:ephemeral", 0) ?? 0,
            Swap = NovaBody.Int(body, "swap", 0) ?? 0,
            RxtxFactor = (float)(NovaBody.Number(body, "rxtx_factor", 0) ?? 1.0),
            IsPublic = NovaBody.Bool(body, "os-flavor-access:is_public") ?? true,
            Description = version.AtLeast(55) ? NovaBody.NullableString(body, "description", 65535).Value : null,
            CreatedAt = time.GetUtcNow().UtcDateTime,
        };
        if (flavor.RxtxFactor <= 0) throw NovaErrors.InvalidInput("rxtx_factor", flavor.RxtxFactor, $"{flavor.RxtxFactor} is less than or equal to the minimum of 0");

        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        if (await c.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM flavors WHERE name = @Name", flavor, tx) > 0)
            throw NovaErrors.Conflict($"Flavor with name {name} already exists.");
        if (await c.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM flavors WHERE flavorid = @Flavorid", flavor, tx) > 0)
            throw NovaErrors.Conflict($"Flavor with ID {id} already exists.");
        try
        {
            flavor.InternalId = await c.ExecuteScalarAsync<int>("""
                INSERT INTO flavors (flavorid, name, vcpus, memory_mb, root_gb, ephemeral_gb, swap, rxtx_factor, is_public, disabled, description, created_at)
                VALUES (@Flavorid, @Name, @Vcpus, @MemoryMb, @RootGb, @EphemeralGb, @Swap, @RxtxFactor, @IsPublic, 0, @Description, @CreatedAt);
                SELECT LAST_INSERT_ID();
                """, flavor, tx);
            await tx.CommitAsync();
        }
        catch (DbException e) when (e.IsDuplicateKey())
        {
            throw NovaErrors.Conflict($"Flavor with name {name} already exists.");
        }
        return Results.Json(new JsonObject { ["flavor"] = View(http, flavor, true, authz) });
    }

    private static async Task<IResult> UpdateAsync(string id, HttpContext http, IDbConnectionFactory db, NovaAuthz authz, FlavorStore store)
    {
        if (!http.Microversion().AtLeast(55)) return Results.StatusCode(StatusCodes.Status405MethodNotAllowed);
        authz.Enforce("os_compute_api:os-flavor-manage:update");
        var body = NovaBody.Section(await NovaBody.ReadAsync(http.Request), "flavor");
        NovaBody.Only(body, "description");
        if (!body.ContainsKey("description")) throw NovaErrors.BadRequest("Invalid input for field/attribute flavor. 'description' is a required property");
        var description = NovaBody.NullableString(body, "description", 65535).Value;
        await using var c = await db.OpenAsync();
        var flavor = await FlavorStore.GetAsync(c, id) ?? throw NovaErrors.FlavorNotFound(id);
        await c.ExecuteAsync("UPDATE flavors SET description = @description, updated_at = UTC_TIMESTAMP(6) WHERE internal_id = @InternalId", new { description, flavor.InternalId });
        flavor.Description = description;
        store.Forget(id);
        return Results.Json(new JsonObject { ["flavor"] = View(http, flavor, true, authz) });
    }

    private static async Task<IResult> DeleteAsync(string id, IDbConnectionFactory db, NovaAuthz authz, FlavorStore store)
    {
        authz.Enforce("os_compute_api:os-flavor-manage:delete");
        await using var c = await db.OpenAsync();
        if (await c.ExecuteAsync("DELETE FROM flavors WHERE flavorid = @id", new { id }) == 0) throw NovaErrors.FlavorNotFound(id);
        store.Forget(id);
        return Results.StatusCode(StatusCodes.Status202Accepted);
    }
}
