using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ComputeApi.Common;

/// <summary>
/// A request body read as nova's JSON schemas read it: a JSON object, its members typed, unknown
/// or ill-typed ones answered with nova's "Invalid input for field/attribute ..." 400.
/// </summary>
public static class NovaBody
{
    public static async Task<JsonObject> ReadAsync(HttpRequest request)
    {
        try
        {
            var node = await JsonNode.ParseAsync(request.Body);
            return node as JsonObject ?? throw NovaErrors.BadRequest("The request body is malformed: it must be a JSON object.");
        }
        catch (JsonException)
        {
            throw NovaErrors.BadRequest("Malformed request body");
        }
    }

    /// <summary>The object under <paramref name="name"/> (<c>{"server": {...}}</c>), required.</summary>
    public static JsonObject Section(JsonObject body, string name) =>
        body[name] switch
        {
            JsonObject o => o,
            null when !body.ContainsKey(name) => throw NovaErrors.BadRequest($"Invalid input for field/attribute {name}. Value: {body.ToJsonString()}. '{name}' is a required property"),
            var other => throw NovaErrors.InvalidInput(name, other?.ToJsonString() ?? "None", $"{other?.ToJsonString() ?? "None"} is not of type 'object'"),
        };

    public static string? String(JsonObject o, string key, int minLength = 0, int maxLength = 255, bool required = false)
    {
        var node = o[key];
        if (node is null)
        {
            if (required) throw NovaErrors.BadRequest($"Invalid input for field/attribute {key}. Value: None. '{key}' is a required property");
            if (o.ContainsKey(key)) throw NovaErrors.InvalidInput(key, "None", "None is not of type 'string'");
            return null;
        }
        if (node.GetValueKind() != JsonValueKind.String) throw NovaErrors.InvalidInput(key, node.ToJsonString(), $"{node.ToJsonString()} is not of type 'string'");
        var value = node.GetValue<string>();
        if (value.Length < minLength) throw NovaErrors.InvalidInput(key, value, $"'{value}' is too short");
        if (value.Length > maxLength) throw NovaErrors.InvalidInput(key, value, $"'{value}' is too long");
        return value;
    }

    /// <summary>A nullable string member: absent is (false, null), JSON null is (true, null).</summary>
    public static (bool Present, string? Value) NullableString(JsonObject o, string key, int maxLength = 255)
    {
        if (!o.ContainsKey(key)) return (false, null);
        if (o[key] is null) return (true, null);
        return (true, String(o, key, 0, maxLength));
    }

    /// <summary>An integer, as a JSON number or a string of digits (nova's schemas accept both).</summary>
    public static int? Int(JsonObject o, string key, int min = int.MinValue, int max = int.MaxValue, bool required = false)
    {
        var node = o[key];
        if (node is null)
        {
            if (required) throw NovaErrors.BadRequest($"Invalid input for field/attribute {key}. Value: None. '{key}' is a required property");
            return null;
        }
        int value;
        switch (node.GetValueKind())
        {
            case JsonValueKind.Number when node.AsValue().TryGetValue<int>(out var n):
                value = n;
                break;
            case JsonValueKind.String when int.TryParse(node.GetValue<string>().Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s):
                value = s;
                break;
            default:
                throw NovaErrors.InvalidInput(key, node.ToJsonString(), $"{node.ToJsonString()} is not of type 'integer', 'string'");
        }
        if (value < min) throw NovaErrors.InvalidInput(key, value, $"{value} is less than the minimum of {min}");
        if (value > max) throw NovaErrors.InvalidInput(key, value, $"{value} is greater than the maximum of {max}");
        return value;
    }

    public static double? Number(JsonObject o, string key, double min = double.MinValue)
    {
        var node = o[key];
        if (node is null) return null;
        double value = node.GetValueKind() switch
        {
            JsonValueKind.Number => node.GetValue<double>(),
            JsonValueKind.String when double.TryParse(node.GetValue<string>(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
            _ => throw NovaErrors.InvalidInput(key, node.ToJsonString(), $"{node.ToJsonString()} is not of type 'number', 'string'"),
        };
        if (value < min) throw NovaErrors.InvalidInput(key, value, $"{value} is less than the minimum of {min}");
        return value;
    }

    /// <summary>A boolean as nova's parameter_types.boolean takes it (true/false and their common spellings).</summary>
    public static bool? Bool(JsonObject o, string key)
    {
        var node = o[key];
        if (node is null) return null;
        return node.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.String => node.GetValue<string>().ToLowerInvariant() switch
            {
                "true" or "t" or "1" or "on" or "y" or "yes" => true,
                "false" or "f" or "0" or "off" or "n" or "no" => false,
                var s => throw NovaErrors.InvalidInput(key, s, $"'{s}' is not one of [True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no']"),
            },
            _ => throw NovaErrors.InvalidInput(key, node.ToJsonString(), $"{node.ToJsonString()} is not of type 'boolean', 'string'"),
        };
    }

    /// <summary>
    /// A metadata object (string keys of 1..255, string values of up to 255), as nova's
    /// parameter_types.metadata.
    /// </summary>
    public static Dictionary<string, string> Metadata(JsonObject o, string key)
    {
        var node = o[key];
        if (node is null) return [];
        if (node is not JsonObject map) throw NovaErrors.InvalidInput(key, node.ToJsonString(), $"{node.ToJsonString()} is not of type 'object'");
        var metadata = new Dictionary<string, string>();
        foreach (var (k, v) in map)
        {
            if (k.Length is < 1 or > 255) throw NovaErrors.InvalidInput(key, map.ToJsonString(), $"'{k}' does not match any of the regexes: '^[a-zA-Z0-9-_:. ]{{1,255}}$'");
            if (v is null || v.GetValueKind() != JsonValueKind.String) throw NovaErrors.InvalidInput($"{key}/{k}", v?.ToJsonString() ?? "None", $"{v?.ToJsonString() ?? "None"} is not of type 'string'");
            var value = v.GetValue<string>();
            if (value.Length > 255) throw NovaErrors.InvalidInput($"{key}/{k}", value, $"'{value}' is too long");
            metadata[k] = value;
        }
        return metadata;
    }

    public static JsonArray? Array(JsonObject o, string key)
    {
        var node = o[key];
        if (node is null) return null;
        return node as JsonArray ?? throw NovaErrors.InvalidInput(key, node.ToJsonString(), $"{node.ToJsonString()} is not of type 'array'");
    }

    /// <summary>Refuses members other than <paramref name="allowed"/> (nova's additionalProperties: false).</summary>
    public static void Only(JsonObject o, params string[] allowed)
    {
        foreach (var (k, _) in o)
            if (!allowed.Contains(k)) throw NovaErrors.BadRequest($"Additional properties are not allowed ('{k}' was unexpected)");
    }

    public static string Iso(DateTime? time) => time is { } t ? DateTime.SpecifyKind(t, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "";

    /// <summary>Query parameter as an int with nova's error for a bad value.</summary>
    public static int? QueryInt(HttpRequest request, string key, int min = 0)
    {
        var text = request.Query[key].LastOrDefault();
        if (text is null) return null;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) || v < min)
            throw NovaErrors.BadRequest($"Invalid input for query parameters {key}. Value: {text}. {text} is not a valid value");
        return v;
    }
}
