using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Platform.Auth.Policy;

/// <summary>
/// The value handling oslo.policy gets from Python: <c>%(key)s</c> substitution, literal kinds
/// (<c>ast.literal_eval</c>) and comparing values as their <c>str()</c>.
/// </summary>
internal static class PolicyValues
{
    /// <summary>
    /// Fills each <c>%(key)s</c> from the target. A missing key fails the check, as in oslo; so
    /// does a null value, so that an unset id can never equal another unset id.
    /// </summary>
    public static bool TrySubstitute(string match, IReadOnlyDictionary<string, object?> target, out string result)
    {
        if (!match.Contains('%'))
        {
            result = match;
            return true;
        }
        var text = new StringBuilder();
        var i = 0;
        while (i < match.Length)
        {
            if (match[i] == '%' && i + 1 < match.Length && match[i + 1] == '%')
            {
                text.Append('%');
                i += 2;
                continue;
            }
            var close = match[i] == '%' && i + 1 < match.Length && match[i + 1] == '(' ? match.IndexOf(")s", i, StringComparison.Ordinal) : -1;
            if (close < 0)
            {
                text.Append(match[i++]);
                continue;
            }
            var key = match[(i + 2)..close];
            if (!TryLookup(target, key, out var value) || value is null)
            {
                result = "";
                return false;
            }
            text.Append(ToPythonString(value));
            i = close + 2;
        }
        result = text.ToString();
        return true;
    }

    /// <summary>
    /// A target value by key: the key as written (<c>target.user.id</c>, as keystone flattens
    /// its targets), else the same dotted path walked through nested dictionaries.
    /// </summary>
    public static bool TryLookup(object? container, string key, out object? value)
    {
        if (TryGet(container, key, out value)) return true;
        if (!key.Contains('.')) return false;
        value = container;
        foreach (var part in key.Split('.'))
            if (!TryGet(value, part, out value)) return false;
        return true;
    }

    /// <summary>oslo's <c>_find_in_dict</c>: walks <paramref name="path"/>, any list along it matching on any element.</summary>
    public static bool PathMatches(object? value, ReadOnlySpan<string> path, string expected)
    {
        if (path.IsEmpty) return value is not null && ToPythonString(value) == expected;
        if (!TryGet(value, path[0], out var next)) return false;
        if (IsList(next))
        {
            foreach (var element in Elements(next!))
                if (PathMatches(element, path[1..], expected)) return true;
            return false;
        }
        return PathMatches(next, path[1..], expected);
    }

    /// <summary>What Python's <c>ast.literal_eval</c> would make of a check's kind, printed by <c>str()</c>.</summary>
    public static bool TryParseLiteral(string kind, out string value)
    {
        if (kind.Length >= 2 && (kind[0] == '\'' || kind[0] == '"') && kind[^1] == kind[0])
        {
            value = kind[1..^1];
            return true;
        }
        if (kind is "True" or "False" or "None")
        {
            value = kind;
            return true;
        }
        if (long.TryParse(kind, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            value = integer.ToString(CultureInfo.InvariantCulture);
            return true;
        }
        if (double.TryParse(kind, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
        {
            value = kind;
            return true;
        }
        value = "";
        return false;
    }

    public static string ToPythonString(object? value) => value switch
    {
        null => "None",
        string s => s,
        bool b => b ? "True" : "False",
        JsonElement e => e.ValueKind switch
        {
            JsonValueKind.String => e.GetString()!,
            JsonValueKind.True => "True",
            JsonValueKind.False => "False",
            JsonValueKind.Null or JsonValueKind.Undefined => "None",
            _ => e.GetRawText(),
        },
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static bool TryGet(object? container, string key, out object? value)
    {
        switch (container)
        {
            case IReadOnlyDictionary<string, object?> d:
                return d.TryGetValue(key, out value);
            case IDictionary d when d.Contains(key):
                value = d[key];
                return true;
            case JsonElement { ValueKind: JsonValueKind.Object } e when e.TryGetProperty(key, out var property):
                value = property;
                return true;
            default:
                value = null;
                return false;
        }
    }

    private static bool IsList(object? value) =>
        value is JsonElement { ValueKind: JsonValueKind.Array }
        || (value is IEnumerable and not string and not IDictionary and not IReadOnlyDictionary<string, object?>);

    private static IEnumerable<object?> Elements(object list) => list switch
    {
        JsonElement e => e.EnumerateArray().Select(x => (object?)x),
        IEnumerable items => items.Cast<object?>(),
        _ => [],
    };
}
