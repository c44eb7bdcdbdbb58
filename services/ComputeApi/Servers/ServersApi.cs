using System.Globalization;
using System.Text.Json.Nodes;
using ComputeApi.Common;
using ComputeApi.ReadModel;
using Conductor.Contracts;
using ActionNames = Conductor.Contracts.InstanceActions;
using Dapper;
using Platform.Data;

namespace ComputeApi.Servers;

/// <summary>/servers: list (with nova's filters, sorting and paging), show, update and delete; create is <see cref="ServerCreate"/>.</summary>
public static class ServersApi
{
    private static readonly Dictionary<string, string> SortColumns = new()
    {
        ["created_at"] = "created_at", ["updated_at"] = "updated_at", ["display_name"] = "display_name", ["uuid"] = "uuid", ["vm_state"] = "vm_state",
        ["task_state"] = "task_state", ["power_state"] = "power_state", ["launched_at"] = "launched_at", ["terminated_at"] = "terminated_at",
        ["image_ref"] = "image_ref", ["key_name"] = "key_name", ["availability_zone"] = "availability_zone", ["project_id"] = "project_id",
        ["user_id"] = "user_id", ["host"] = "host", ["node"] = "node", ["instance_type_id"] = "flavor_id", ["locked"] = "locked",
    };

    private static readonly string[] AdminSortKeys = ["host", "node"];

    public static void MapServers(this RouteGroupBuilder v21)
    {
        v21.MapPost("/servers", ServerCreate.CreateAsync);
        v21.MapGet("/servers", (HttpContext http, IDbConnectionFactory db, NovaAuthz authz, IConfiguration config) => ListAsync(http, db, authz, config, detail: false));
        v21.MapGet("/servers/detail", (HttpContext http, IDbConnectionFactory db, NovaAuthz authz, IConfiguration config) => ListAsync(http, db, authz, config, detail: true));
        v21.MapGet("/servers/{id}", ShowAsync);
        v21.MapPut("/servers/{id}", UpdateAsync);
        v21.MapDelete("/servers/{id}", DeleteAsync);
    }

    private static bool Truthy(string? text) => text?.ToLowerInvariant() is "" or "true" or "t" or "1" or "yes" or "y" or "on";

    private static DateTime ParseTime(string key, string text) =>
        DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t)
            ? t : throw NovaErrors.BadRequest($"Invalid input for query parameters {key}. Value: {text}. '{text}' is not a 'date-time'");

    private static async Task<IResult> ListAsync(HttpContext http, IDbConnectionFactory db, NovaAuthz authz, IConfiguration config, bool detail)
    {
        var request = http.Request;
        var q = request.Query;
        var caller = NovaAuthz.Caller;
        authz.Enforce(detail ? "os_compute_api:servers:detail" : "os_compute_api:servers:index");
        var version = http.Microversion();
        var isAdmin = authz.IsAdmin;
        var where = new List<string>();
        var args = new DynamicParameters();
        string? Param(string key) => q[key].LastOrDefault();

        var allTenants = q.ContainsKey("all_tenants") && Truthy(Param("all_tenants"))
            && authz.Allows(detail ? "os_compute_api:servers:detail:get_all_tenants" : "os_compute_api:servers:index:get_all_tenants", caller.ProjectId);
        var projectFilter = Param("project_id") ?? Param("tenant_id");
        if (!allTenants || (projectFilter is not null && isAdmin))
        {
            where.Add("project_id = @project");
            args.Add("project", allTenants ? projectFilter : caller.ProjectId);
        }

        var changesSince = Param("changes-since") is { } cs ? ParseTime("changes-since", cs) : (DateTime?)null;
        var changesBefore = version.AtLeast(66) && Param("changes-before") is { } cb ? ParseTime("changes-before", cb) : (DateTime?)null;
        if (changesSince is { } since && changesBefore is { } before && since > before)
            throw NovaErrors.BadRequest("The value of changes-since must be less than or equal to changes-before.");
        var deleted = isAdmin && q.ContainsKey("deleted") ? Truthy(Param("deleted")) : (bool?)null;
        if (deleted is true) where.Add("deleted = 1");
        else if (deleted is false || (changesSince is null && changesBefore is null)) where.Add("deleted = 0");
        if (changesSince is { } s) { where.Add("COALESCE(updated_at, created_at) >= @since"); args.Add("since", s); }
        if (changesBefore is { } b) { where.Add("COALESCE(updated_at, created_at) <= @before"); args.Add("before", b); }

        if (Param("name") is { } name) { where.Add("display_name REGEXP @name"); args.Add("name", name); }
        if (Param("image") is { } image) { where.Add("image_ref = @image"); args.Add("image", image.Split('/')[^1]); }
        if (Param("flavor") is { } flavor) { where.Add("flavor_id = @flavor"); args.Add("flavor", flavor.Split('/')[^1]); }
        if (Param("reservation_id") is { } reservation) { where.Add("reservation_id = @reservation"); args.Add("reservation", reservation); }
        if (Param("key_name") is { } keyName) { where.Add("key_name = @keyName"); args.Add("keyName", keyName); }
        if (Param("availability_zone") is { } az) { where.Add("availability_zone = @az"); args.Add("az", az); }
        if (Param("user_id") is { } userId) { where.Add("user_id = @userId"); args.Add("userId", userId); }
        if (version.AtLeast(73) && Param("locked") is { } locked) { where.Add("locked = @locked"); args.Add("locked", Truthy(locked)); }
        if (isAdmin && Param("host") is { } host) { where.Add("host = @host"); args.Add("host", host); }
        if (isAdmin && Param("node") is { } node) { where.Add("node = @node"); args.Add("node", node); }
        if (Param("ip") is { } ip) { where.Add("ips REGEXP @ip"); args.Add("ip", ip); }
        if (Param("ip6") is { } ip6) { where.Add("ips REGEXP @ip6"); args.Add("ip6", ip6); }
        if (Param("status") is { } statusText)
        {
            var alternatives = new List<string>();
            var n = 0;
            foreach (var status in q["status"].SelectMany(v => (v ?? "").Split(',')).Select(v => v.Trim().ToUpperInvariant()))
            {
                if (status == "DELETED" && deleted is null) { where.Remove("deleted = 0"); alternatives.Add("deleted = 1"); continue; }
                foreach (var (vm, tasks, excluded) in ServerStatus.States(status))
                {
                    var p = $"st{n++}";
                    args.Add(p, vm);
                    if (tasks is not null) { args.Add(p + "t", tasks); alternatives.Add($"(vm_state = @{p} AND task_state IN @{p}t)"); }
                    else if (excluded.Count > 0) { args.Add(p + "x", excluded); alternatives.Add($"(vm_state = @{p} AND (task_state IS NULL OR task_state NOT IN @{p}x))"); }
                    else alternatives.Add($"vm_state = @{p}");
                }
            }
            where.Add(alternatives.Count == 0 ? "FALSE" : "(" + string.Join(" OR ", alternatives) + ")");
        }
        if (version.AtLeast(26))
        {
            var t = 0;
            List<string> Tags(string key) => [.. q[key].SelectMany(v => (v ?? "").Split(',')).Where(v => v.Length > 0)];
            string TagMatch(string tag) { var p = $"tag{t++}"; args.Add(p, $"%,{tag},%"); return $"tags LIKE @{p}"; }
            if (Tags("tags") is { Count: > 0 } all) where.Add("(" + string.Join(" AND ", all.Select(TagMatch)) + ")");
            if (Tags("tags-any") is { Count: > 0 } any) where.Add("(" + string.Join(" OR ", any.Select(TagMatch)) + ")");
            if (Tags("not-tags") is { Count: > 0 } notAll) where.Add("NOT (" + string.Join(" AND ", notAll.Select(TagMatch)) + ")");
            if (Tags("not-tags-any") is { Count: > 0 } notAny) where.Add("NOT (" + string.Join(" OR ", notAny.Select(TagMatch)) + ")");
        }

        var sortKeys = q["sort_key"].Where(k => !string.IsNullOrEmpty(k)).Select(k => k!).ToList();
        var sortDirs = q["sort_dir"].Where(k => !string.IsNullOrEmpty(k)).Select(k => k!.ToLowerInvariant()).ToList();
        if (sortKeys.Count == 0) sortKeys = ["created_at"];
        foreach (var key in sortKeys)
            if (!SortColumns.ContainsKey(key) || (!isAdmin && AdminSortKeys.Contains(key)))
                throw NovaErrors.BadRequest($"Invalid input for query parameters sort_key. Value: {key}.");
        foreach (var dir in sortDirs)
            if (dir is not ("asc" or "desc")) throw NovaErrors.BadRequest($"Invalid input for query parameters sort_dir. Value: {dir}. '{dir}' is not one of ['asc', 'desc']");
        string Dir(int i) => i < sortDirs.Count ? sortDirs[i] : sortDirs.Count > 0 ? sortDirs[0] : "desc";
        var order = string.Join(", ", sortKeys.Select((k, i) => $"{SortColumns[k]} {Dir(i)}")) + $", uuid {Dir(0)}";

        var maxLimit = int.TryParse(config["api:max_limit"], out var m) ? m : 1000;
        var limit = Math.Min(NovaBody.QueryInt(request, "limit") ?? maxLimit, maxLimit);
        await using var c = await db.OpenAsync();
        if (Param("marker") is { } marker)
        {
            var first = SortColumns[sortKeys[0]];
            if (await c.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM instances WHERE uuid = @marker", new { marker }) == 0)
                throw NovaErrors.BadRequest($"marker [{marker}] not found");
            var cmp = Dir(0) == "desc" ? "<" : ">";
            args.Add("marker", marker);
            var at = $"(SELECT m.{first} FROM instances m WHERE m.uuid = @marker)";
            where.Add($"({first} {cmp} {at} OR ({first} <=> {at} AND uuid {cmp} @marker))");
        }
        args.Add("limit", limit);
        var rows = (await c.QueryAsync<(string, DateTime)>(
            $"SELECT {InstanceStore.Columns} FROM instances {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : "")} ORDER BY {order} LIMIT @limit", args))
            .Select(InstanceStore.Read).ToList();
        var body = new JsonObject
        {
            ["servers"] = new JsonArray([.. rows.Select(i => (JsonNode)(detail ? ServerView.Detail(http, i, authz) : ServerView.Brief(http, i)))]),
        };
        if (rows.Count > 0 && rows.Count == limit)
        {
            var query = string.Join("&", q.Where(p => p.Key != "marker").SelectMany(p => p.Value.Select(v => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(v ?? "")}")));
            var path = $"{ServerView.Root(request)}/v2.1/servers{(detail ? "/detail" : "")}";
            body["servers_links"] = new JsonArray(new JsonObject
            {
                ["rel"] = "next",
                ["href"] = $"{path}?{(query.Length > 0 ? query + "&" : "")}marker={rows[^1].Uuid}",
            });
        }
        return Results.Json(body);
    }

    private static async Task<IResult> ShowAsync(string id, HttpContext http, IDbConnectionFactory db, NovaAuthz authz)
    {
        await using var c = await db.OpenAsync();
        var instance = await ServerAccess.FindAsync(c, authz, id);
        authz.Enforce("os_compute_api:servers:show", instance.ProjectId);
        return Results.Json(new JsonObject { ["server"] = ServerView.Detail(http, instance, authz) });
    }

    private static async Task<IResult> UpdateAsync(string id, HttpContext http, ServerAccess servers)
    {
        var version = http.Microversion();
        var body = NovaBody.Section(await NovaBody.ReadAsync(http.Request), "server");
        var allowed = new List<string> { "name", "accessIPv4", "accessIPv6", "OS-DCF:diskConfig" };
        if (version.AtLeast(19)) allowed.Add("description");
        if (version.AtLeast(90)) allowed.Add("hostname");
        NovaBody.Only(body, [.. allowed]);
        var name = NovaBody.String(body, "name", 1, 255);
        var (hasDescription, description) = version.AtLeast(19) ? NovaBody.NullableString(body, "description") : (false, null);
        var instance = await servers.FindAsync(id);
        servers.Authz.Enforce("os_compute_api:servers:update", instance.ProjectId);
        var reply = await servers.RequestAsync(new RequestInstanceAction
        {
            InstanceUuid = id,
            Action = ActionNames.Update,
            DisplayName = name,
            DisplayDescription = hasDescription ? description ?? "" : null,
            CallerIsAdmin = servers.Authz.IsAdmin,
        });
        var updated = reply.Instance ?? instance with
        {
            DisplayName = name ?? instance.DisplayName,
            DisplayDescription = hasDescription ? description : instance.DisplayDescription,
        };
        return Results.Json(new JsonObject { ["server"] = ServerView.Detail(http, updated, servers.Authz) });
    }

    private static async Task<IResult> DeleteAsync(string id, ServerAccess servers, Volume.Contracts.VolumeClient volumes, ILogger<ServerAccess> logger)
    {
        var instance = await servers.FindAsync(id);
        servers.Authz.Enforce("os_compute_api:servers:delete", instance.ProjectId);
        var reply = await servers.RequestAsync(new RequestInstanceAction { InstanceUuid = id, Action = ActionNames.Delete, CallerIsAdmin = servers.Authz.IsAdmin });
        // Deleted at once, no host had it (nova's local delete): its volumes are released here.
        if (reply.Instance is { Deleted: true, BlockDevices.Count: > 0 } gone)
            await ServerBlockDevices.ReleaseAsync(volumes, gone.BlockDevices, logger);
        return Results.NoContent();
    }
}
