using System.Collections;
using System.Globalization;
using System.Text;
using System.Web;
using Dapper;
using Microsoft.Extensions.Primitives;

namespace NetworkServer.Common;

/// <summary>
/// neutron's list semantics for every collection: attribute filters (a repeated filter is an
/// OR), <c>fields=</c>, <c>sort_key</c>/<c>sort_dir</c>, <c>limit</c>/<c>marker</c> with
/// <c>&lt;collection&gt;_links</c>. Filters on plain columns go to SQL; the rest apply to the views.
/// </summary>
public static class NeutronList
{
    private static readonly HashSet<string> NotFilters = ["fields", "limit", "marker", "sort_key", "sort_dir", "page_reverse"];

    /// <summary>
    /// The WHERE clause of a list and its parameters: what the caller may see (<paramref name="visible"/>,
    /// which may use <c>@project</c>, the caller's project; everything for an admin), then the
    /// query's filters on the attributes in <paramref name="columns"/>.
    /// </summary>
    public static (string Where, DynamicParameters Args) Where(HttpRequest request, NeutronAuthz authz, string visible, IReadOnlyDictionary<string, string> columns)
    {
        var args = new DynamicParameters();
        args.Add("project", NeutronAuthz.Caller.ProjectId);
        return ((authz.IsAdmin ? "1 = 1" : visible) + SqlFilters(request.Query, columns, args), args);
    }

    /// <summary>
    /// Adds <c>AND column IN (...)</c> for each query filter on an attribute in <paramref name="columns"/>
    /// (attribute to SQL column); the others are left for <see cref="Shape"/>.
    /// </summary>
    private static string SqlFilters(IQueryCollection query, IReadOnlyDictionary<string, string> columns, DynamicParameters args)
    {
        var sql = new StringBuilder();
        var n = 0;
        foreach (var (key, values) in query)
        {
            if (!columns.TryGetValue(key, out var column)) continue;
            var name = $"f{n++}";
            var list = values.Select(v => (object?)(v is "True" or "true" ? true : v is "False" or "false" ? false : v)).ToList();
            sql.Append(CultureInfo.InvariantCulture, $" AND {column} IN @{name}");
            args.Add(name, list);
        }
        return sql.ToString();
    }

    /// <summary>Filters, sorts, pages and projects <paramref name="items"/>; answers <c>{collection: [...], collection_links?}</c>.</summary>
    public static Dictionary<string, object?> Shape(HttpRequest request, string collection, IEnumerable<Dictionary<string, object?>> items)
    {
        var query = request.Query;
        var list = items.Where(item => Matches(item, query)).ToList();

        var keys = query["sort_key"];
        var dirs = query["sort_dir"];
        if (keys.Count > 0)
        {
            if (dirs.Count > 0 && dirs.Count != keys.Count)
                throw NeutronErrors.BadRequest("HTTPBadRequest", "The number of sort_keys and sort_dirs must be same");
            foreach (var dir in dirs)
                if (dir is not ("asc" or "desc")) throw NeutronErrors.BadRequest("HTTPBadRequest", $"{dir} is invalid value for sort_dirs, valid value is 'asc' and 'desc'");
            IOrderedEnumerable<Dictionary<string, object?>>? ordered = null;
            for (var i = 0; i < keys.Count; i++)
            {
                var key = keys[i]!;
                if (list.Count > 0 && !list[0].ContainsKey(key))
                    throw NeutronErrors.BadRequest("HTTPBadRequest", $"{key} is an invalid attribute for sort_keys");
                var desc = dirs.Count > i && dirs[i] == "desc";
                Func<Dictionary<string, object?>, string> by = x => SortText(x.GetValueOrDefault(key));
                ordered = ordered is null
                    ? desc ? list.OrderByDescending(by, StringComparer.Ordinal) : list.OrderBy(by, StringComparer.Ordinal)
                    : desc ? ordered.ThenByDescending(by, StringComparer.Ordinal) : ordered.ThenBy(by, StringComparer.Ordinal);
            }
            list = [.. ordered!.ThenBy(x => (string?)x["id"], StringComparer.Ordinal)];
        }

        if (query["marker"].ToString() is { Length: > 0 } marker)
        {
            var at = list.FindIndex(x => (string?)x["id"] == marker);
            if (at < 0) throw NeutronErrors.NotFound(collection.TrimEnd('s').Replace("ie", "y", StringComparison.Ordinal), marker);
            list = list[(at + 1)..];
        }

        var result = new Dictionary<string, object?>();
        if (query["limit"].ToString() is { Length: > 0 } limitText)
        {
            if (!int.TryParse(limitText, out var limit) || limit < 0)
                throw NeutronErrors.BadRequest("HTTPBadRequest", $"Limit must be an integer 0 or greater and not '{limitText}'");
            if (limit > 0 && list.Count > limit)
            {
                list = list[..limit];
                var next = HttpUtility.ParseQueryString(request.QueryString.Value ?? "");
                next["marker"] = (string?)list[^1]["id"];
                result[$"{collection}_links"] = new[] { new { rel = "next", href = $"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}?{next}" } };
            }
        }

        var fields = query["fields"].SelectMany(f => f!.Split(',', StringSplitOptions.RemoveEmptyEntries)).ToHashSet();
        result[collection] = fields.Count == 0 ? list : list.Select(x => Project(x, fields)).ToList();
        return result;
    }

    /// <summary>One resource, with <c>fields=</c> applied.</summary>
    public static Dictionary<string, object?> Single(HttpRequest request, Dictionary<string, object?> view)
    {
        var fields = request.Query["fields"].SelectMany(f => f!.Split(',', StringSplitOptions.RemoveEmptyEntries)).ToHashSet();
        return fields.Count == 0 ? view : Project(view, fields);
    }

    private static Dictionary<string, object?> Project(Dictionary<string, object?> item, HashSet<string> fields) =>
        item.Where(p => fields.Contains(p.Key)).ToDictionary(p => p.Key, p => p.Value);

    private static bool Matches(Dictionary<string, object?> item, IQueryCollection query)
    {
        foreach (var (key, values) in query)
        {
            if (NotFilters.Contains(key)) continue;
            if (key == "fixed_ips")
            {
                if (!FixedIpsMatch(item.GetValueOrDefault("fixed_ips"), values)) return false;
                continue;
            }
            // neutron ignores a filter on an attribute the resource does not have.
            if (!item.TryGetValue(key, out var value)) continue;
            if (!values.Any(v => ValueMatches(value, v))) return false;
        }
        return true;
    }

    private static bool ValueMatches(object? value, string? wanted) => value switch
    {
        null => string.IsNullOrEmpty(wanted) || wanted is "None" or "null",
        bool b => string.Equals(wanted, b ? "true" : "false", StringComparison.OrdinalIgnoreCase),
        string s => s == wanted,
        IEnumerable e and not IDictionary => e.Cast<object?>().Any(x => Convert.ToString(x, CultureInfo.InvariantCulture) == wanted),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) == wanted,
    };

    // fixed_ips=ip_address=10.0.0.5 or fixed_ips=subnet_id=<id>, as the clients send them.
    private static bool FixedIpsMatch(object? fixedIps, StringValues values)
    {
        if (fixedIps is not IEnumerable<Dictionary<string, object?>> ips) return false;
        foreach (var v in values)
        {
            var eq = v?.IndexOf('=') ?? -1;
            if (eq < 0) continue;
            var (k, wanted) = (v![..eq], v[(eq + 1)..]);
            if (k == "ip_address_substr") { if (!ips.Any(ip => ((string?)ip["ip_address"])?.Contains(wanted, StringComparison.Ordinal) == true)) return false; continue; }
            if (!ips.Any(ip => (string?)ip.GetValueOrDefault(k) == wanted)) return false;
        }
        return true;
    }

    private static string SortText(object? value) => value switch
    {
        null => "",
        int or long => Convert.ToInt64(value, CultureInfo.InvariantCulture).ToString("D20", CultureInfo.InvariantCulture),
        bool b => b ? "1" : "0",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}
