using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ComputeApi.Common;

/// <summary>
/// Reading a request body the way nova's JSON schemas judge it: a missing or malformed body, a
/// missing root key or a member of the wrong type is a 400 naming the field.
/// </summary>
public static class RequestJson
{
    /// <summary>The object under <paramref name="root"/> of the request body.</summary>
    public static async Task<JsonObject> ReadAsync(HttpRequest request, string root)
    {
        var body = await ReadBodyAsync(request);
        if (!body.TryGetPropertyValue(root, out var value))
            throw NovaErrors.InvalidInput(root, Text(body), $"'{root}' is a required property");
        return value as JsonObject ?? throw NovaErrors.InvalidInput(root, Text(value), $"{Text(value)} is not of type 'object'");
    }

    /// <summary>The whole body, which must be a JSON object.</summary>
    public static async Task<JsonObject> ReadBodyAsync(HttpRequest request)
    {
        JsonNode? node;
        try
        {
            node = await JsonNode.ParseAsync(request.Body);
        }
        catch (JsonException)
        {
            throw NovaErrors.BadRequest("Malformed request body");
        }
        return node as JsonObject ?? throw NovaErrors.BadRequest("Malformed request body");
    }

    /// <summary>Refuses members other than <paramref name="allowed"/> (nova's additionalProperties: false).</summary>
    public static void OnlyAllowed(JsonObject obj, string field, params string[] allowed)
    {
        var extra = obj.Select(kv => kv.Key).Where(k => !allowed.Contains(k)).ToList();
        if (extra.Count > 0)
            throw NovaErrors.InvalidInput(field, Text(obj),
                $"Additional properties are not allowed ({string.Join(", ", extra.Select(e => $"'{e}'"))} {(extra.Count == 1 ? "was" : "were")} unexpected)");
    }

    /// <summary>A name as nova's parameter_types.name takes it: a string of 1 to 255 characters without leading or trailing spaces.</summary>
    public static string? Name(JsonObject obj, string member, bool required, int maxLength = 255)
    {
        if (!obj.TryGetPropertyValue(member, out var value))
            return required ? throw NovaErrors.InvalidInput(member, Text(obj), $"'{member}' is a required property") : null;
        if (value is not JsonValue v || !v.TryGetValue<string>(out var s))
            throw NovaErrors.InvalidInput(member, Text(value), $"{Text(value)} is not of type 'string'");
        if (s.Length == 0) throw NovaErrors.InvalidInput(member, s, $"'{s}' is too short");
        if (s.Length > maxLength) throw NovaErrors.InvalidInput(member, s, $"'{s}' is too long");
        if (s.Trim() != s || s.Any(char.IsControl)) throw NovaErrors.InvalidInput(member, s, $"'{s}' is not a valid name");
        return s;
    }

    /// <summary>A string member (null when absent or JSON null and <paramref name="nullable"/>).</summary>
    public static string? String(JsonObject obj, string member, bool nullable = false, int maxLength = 255)
    {
        if (!obj.TryGetPropertyValue(member, out var value)) return null;
        if (value is null)
            return nullable ? null : throw NovaErrors.InvalidInput(member, "None", "None is not of type 'string'");
        if (value is not JsonValue v || !v.TryGetValue<string>(out var s))
            throw NovaErrors.InvalidInput(member, Text(value), $"{Text(value)} is not of type 'string'");
        if (s.Length > maxLength) throw NovaErrors.InvalidInput(member, s, $"'{s}' is too long");
        return s;
    }

    /// <summary>A boolean member as nova's parameter_types.boolean takes it (true/false, also as strings).</summary>
    public static bool? Bool(JsonObject obj, string member)
    {
        if (!obj.TryGetPropertyValue(member, out var value)) return null;
        if (value is JsonValue v)
        {
            if (v.TryGetValue<bool>(out var b)) return b;
            if (v.TryGetValue<string>(out var s))
            {
                switch (s.ToLowerInvariant())
                {
                    case "true" or "1" or "yes" or "on" or "t" or "y": return true;
                    case "false" or "0" or "no" or "off" or "f" or "n": return false;
                }
            }
        }
        throw NovaErrors.InvalidInput(member, Text(value), $"{Text(value)} is not one of [True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no']");
    }

    public static string Text(JsonNode? node) => node switch
    {
        null => "None",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => node.ToJsonString(),
    };

    /// <summary>An integer query parameter as nova's common.limited reads limit and offset.</summary>
    public static int? QueryInt(HttpRequest request, string name, int min = 0)
    {
        var text = request.Query[name].LastOrDefault();
        if (text is null) return null;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n))
            throw NovaErrors.BadRequest($"{name} param must be an integer");
        if (n < min) throw NovaErrors.BadRequest(min > 0 ? $"{name} param must be positive" : $"{name} param must be positive");
        return n;
    }
}
