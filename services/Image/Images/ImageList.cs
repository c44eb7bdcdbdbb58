using System.Globalization;
using System.Text;
using Dapper;
using Image.Common;
using Platform.Data;
using Platform.Hosting;

namespace Image.Images;

/// <summary>
/// GET /v2/images: glance's visibility rules, its filters (<c>name</c>, <c>status</c>,
/// <c>visibility</c>, <c>owner</c>, <c>tag</c>, <c>member_status</c>, formats, <c>protected</c>,
/// <c>os_hidden</c>, <c>size_min</c>/<c>size_max</c>, <c>in:</c> lists, and any additional
/// property), sorting by <c>sort_key</c>/<c>sort_dir</c> or <c>sort</c>, and keyset pages by
/// <c>limit</c> and <c>marker</c> with a <c>next</c> link.
/// </summary>
public static class ImageList
{
    public const int DefaultLimit = 25;
    public const int MaxLimit = 1000;

    // Sort keys glance allows, and the column each is.
    private static readonly string[] SortKeys =
        ["name", "status", "container_format", "disk_format", "size", "id", "created_at", "updated_at", "visibility", "protected", "os_hidden", "owner", "min_disk", "min_ram"];

    private static readonly string[] NotFilters = ["limit", "marker", "sort_key", "sort_dir", "sort", "member_status", "tag", "visibility", "os_hidden", "size_min", "size_max"];
    private static readonly string[] ColumnFilters = ["name", "status", "owner", "container_format", "disk_format", "id", "protected"];
    private static readonly string[] MemberStatuses = ["accepted", "pending", "rejected", "all"];

    public static async Task<IResult> ListAsync(HttpRequest request, ImageAuthz authz, IDbConnectionFactory db)
    {
        var caller = ImageAuthz.Caller;
        authz.Enforce("get_images", new Dictionary<string, object?> { ["project_id"] = caller.ProjectId, ["owner"] = caller.ProjectId });
        var query = request.Query;
        var limit = Limit(query["limit"]);
        var sort = Sort(query);
        var where = new StringBuilder("1 = 1");
        var args = new DynamicParameters();
        args.Add("project", caller.ProjectId);

        var memberStatus = query["member_status"].ToString() is { Length: > 0 } ms ? ms : "accepted";
        if (!MemberStatuses.Contains(memberStatus)) throw ApiException.BadRequest($"Invalid status value: {memberStatus}");
        args.Add("memberStatus", memberStatus);
        if (!authz.IsAdmin)
        {
            where.Append("""
                 AND (i.visibility IN ('public', 'community') OR i.owner = @project
                   OR (i.visibility = 'shared' AND EXISTS (SELECT 1 FROM image_members m WHERE m.image_id = i.id AND m.member = @project
                       AND (@memberStatus = 'all' OR m.status = @memberStatus))))
                """);
        }
        var visibility = query["visibility"].ToString();
        if (visibility.Length > 0)
        {
            if (visibility != "all" && !ImageChanges.Visibilities.Contains(visibility))
                throw ApiException.BadRequest($"Invalid visibility value: {visibility}");
            if (visibility != "all")
            {
                where.Append(" AND i.visibility = @visibility");
                args.Add("visibility", visibility);
            }
        }
        else
            where.Append(" AND (i.visibility <> 'community' OR i.owner = @project)");

        var hidden = query["os_hidden"].ToString() is { Length: > 0 } h ? h.ToLowerInvariant() : "false";
        if (hidden is not ("true" or "false")) throw ApiException.BadRequest($"Invalid value '{hidden}' for 'os_hidden' filter. Valid values are 'true' or 'false'.");
        where.Append(" AND i.os_hidden = @hidden");
        args.Add("hidden", hidden == "true");

        var n = 0;
        foreach (var tag in query["tag"])
        {
            where.Append(CultureInfo.InvariantCulture, $" AND EXISTS (SELECT 1 FROM image_tags t WHERE t.image_id = i.id AND t.value = @tag{n})");
            args.Add($"tag{n++}", tag);
        }
        foreach (var (bound, op) in new[] { ("size_min", ">="), ("size_max", "<=") })
        {
            if (query[bound].ToString() is not { Length: > 0 } text) continue;
            if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var size)) throw ApiException.BadRequest($"Invalid value for {bound}: {text}");
            where.Append(CultureInfo.InvariantCulture, $" AND i.size {op} @{bound}");
            args.Add(bound, size);
        }
        foreach (var (key, values) in query)
        {
            if (NotFilters.Contains(key)) continue;
            var value = values.ToString();
            var list = value.StartsWith("in:", StringComparison.Ordinal) ? value[3..].Split(',').Select(v => v.Trim('"')).ToList() : null;
            if (ColumnFilters.Contains(key))
            {
                object arg = key == "protected"
                    ? value is "true" or "false" ? value == "true" : throw ApiException.BadRequest($"Invalid value '{value}' for 'protected' filter.")
                    : (object?)list ?? value;
                where.Append(CultureInfo.InvariantCulture, $" AND i.`{key}` {(list is null ? "=" : "IN")} @f{n}");
                args.Add($"f{n++}", arg);
            }
            else
            {
                where.Append(CultureInfo.InvariantCulture, $" AND EXISTS (SELECT 1 FROM image_properties p WHERE p.image_id = i.id AND p.name = @pn{n} AND p.value {(list is null ? "=" : "IN")} @pv{n})");
                args.Add($"pn{n}", key);
                args.Add($"pv{n++}", (object?)list ?? value);
            }
        }

        await using var c = await db.OpenAsync();
        if (query["marker"].ToString() is { Length: > 0 } marker)
        {
            // The marker must be an image this caller could list.
            var row = await c.QuerySingleOrDefaultAsync($"SELECT {string.Join(", ", sort.Select(s => $"i.`{s.Key}`"))} FROM images i WHERE i.id = @marker AND {where}",
                Merge(args, "marker", marker));
            if (row is null) throw ApiException.BadRequest($"Invalid marker. Image {marker} could not be found.");
            var values = (IDictionary<string, object?>)row;
            where.Append(" AND (").Append(After(sort, values, args)).Append(')');
        }

        var order = string.Join(", ", sort.Select(s => $"i.`{s.Key}` {(s.Descending ? "DESC" : "ASC")}"));
        args.Add("limit", limit);
        var rows = (await c.QueryAsync<Image>($"SELECT {Prefixed} FROM images i WHERE {where} ORDER BY {order} LIMIT @limit", args)).ToList();
        var page = await ImageStore.DecorateAsync(c, rows);

        var body = new Dictionary<string, object?>
        {
            ["images"] = page.Select(ImageView.Build).ToList(),
            ["first"] = "/v2/images",
            ["schema"] = "/v2/schemas/images",
        };
        if (page.Count == limit && limit > 0) body["next"] = NextLink(request, page[^1].Id);
        return Results.Json(body);
    }

    private static string Prefixed => string.Join(", ", ImageStore.Columns.Split(',').Select(col => "i." + col.Trim()));

    private static DynamicParameters Merge(DynamicParameters args, string name, object value)
    {
        var merged = new DynamicParameters(args);
        merged.Add(name, value);
        return merged;
    }

    private static int Limit(string? text)
    {
        if (string.IsNullOrEmpty(text)) return DefaultLimit;
        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var limit)) throw ApiException.BadRequest("limit param must be an integer");
        if (limit < 0) throw ApiException.BadRequest("limit param must be positive");
        return Math.Min(limit, MaxLimit);
    }

    private sealed record SortKey(string Key, bool Descending);

    /// <summary>The sort, always ending in <c>id</c> so pages never overlap or skip.</summary>
    private static List<SortKey> Sort(IQueryCollection query)
    {
        var keys = new List<SortKey>();
        if (query["sort"].ToString() is { Length: > 0 } sort)
        {
            if (query.ContainsKey("sort_key") || query.ContainsKey("sort_dir"))
                throw ApiException.BadRequest("The 'sort' parameter cannot be combined with 'sort_key' or 'sort_dir'.");
            foreach (var part in sort.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var pieces = part.Split(':');
                keys.Add(new SortKey(Key(pieces[0]), pieces.Length > 1 && Direction(pieces[1])));
            }
        }
        else
        {
            var names = query["sort_key"].SelectMany(k => (k ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToList();
            var dirs = query["sort_dir"].SelectMany(d => (d ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).Select(Direction).ToList();
            if (names.Count == 0) names.Add("created_at");
            if (dirs.Count > 1 && dirs.Count != names.Count) throw ApiException.BadRequest("Number of sort dirs does not match the number of sort keys");
            for (var i = 0; i < names.Count; i++)
                keys.Add(new SortKey(Key(names[i]), dirs.Count == 0 || dirs[dirs.Count == 1 ? 0 : i]));
        }
        if (!keys.Any(k => k.Key == "id")) keys.Add(new SortKey("id", keys[^1].Descending));
        return keys;
    }

    private static string Key(string key) => SortKeys.Contains(key) ? key
        : throw ApiException.BadRequest($"Invalid sort key: {key}. It must be one of the following: {string.Join(", ", SortKeys)}.");

    private static bool Direction(string dir) => dir switch
    {
        "asc" => false,
        "desc" => true,
        _ => throw ApiException.BadRequest($"Invalid sort direction: {dir}"),
    };

    /// <summary>
    /// Rows strictly after the marker in the sort order. MariaDB puts NULLs first going up and
    /// last going down; the comparison below follows that, key by key.
    /// </summary>
    private static string After(List<SortKey> sort, IDictionary<string, object?> marker, DynamicParameters args)
    {
        var alternatives = new List<string>();
        for (var i = 0; i < sort.Count; i++)
        {
            var parts = new List<string>();
            for (var j = 0; j < i; j++) parts.Add(Equal(sort[j], marker[sort[j].Key], args, j));
            parts.Add(Beyond(sort[i], marker[sort[i].Key], args, i));
            alternatives.Add("(" + string.Join(" AND ", parts) + ")");
        }
        return string.Join(" OR ", alternatives);
    }

    private static string Equal(SortKey key, object? value, DynamicParameters args, int i)
    {
        if (value is null) return $"i.`{key.Key}` IS NULL";
        args.Add($"m{i}", value);
        return $"i.`{key.Key}` = @m{i}";
    }

    private static string Beyond(SortKey key, object? value, DynamicParameters args, int i)
    {
        var column = $"i.`{key.Key}`";
        args.Add($"m{i}", value);
        if (!key.Descending) return value is null ? $"{column} IS NOT NULL" : $"{column} > @m{i}";
        return value is null ? "FALSE" : $"({column} < @m{i} OR {column} IS NULL)";
    }

    private static string NextLink(HttpRequest request, string lastId)
    {
        var pairs = request.Query.Where(q => q.Key != "marker")
            .SelectMany(q => q.Value.Select(v => $"{Uri.EscapeDataString(q.Key)}={Uri.EscapeDataString(v ?? "")}"))
            .Append($"marker={lastId}");
        return "/v2/images?" + string.Join("&", pairs);
    }
}
