using System.Text.Json;
using System.Text.Json.Nodes;

namespace Volume.Common;

/// <summary>Request bodies and query parameters read as cinder reads them, with its 400s.</summary>
public static class CinderBody
{
    /// <summary>The body as a JSON object; an empty body is an empty object, anything else unparsable is cinder's "Malformed request body".</summary>
    public static async Task<JsonObject> ReadAsync(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body);
        var text = await reader.ReadToEndAsync();
        if (string.IsNullOrWhiteSpace(text)) return [];
        try
        {
            return JsonNode.Parse(text) as JsonObject ?? throw CinderErrors.MalformedBody();
        }
        catch (JsonException)
        {
            throw CinderErrors.MalformedBody();
        }
    }

    /// <summary>
    /// The root member <paramref name="root"/> of a schema that allows nothing else
    /// (<c>additionalProperties: false</c>, <c>required</c>), as an object.
    /// </summary>
    public static JsonObject Root(JsonObject body, string root)
    {
        var extra = body.Select(kv => kv.Key).Where(k => k != root).ToList();
        if (extra.Count > 0)
            throw CinderErrors.BadRequest($"Additional properties are not allowed ({string.Join(", ", extra.Select(e => $"'{e}'"))} {(extra.Count == 1 ? "was" : "were")} unexpected)");
        if (!body.TryGetPropertyValue(root, out var value)) throw CinderErrors.BadRequest($"'{root}' is a required property");
        return value as JsonObject ?? throw CinderErrors.InvalidField(root, Python(value), $"{Python(value)} is not of type 'object'");
    }

    /// <summary>A boolean query parameter as cinder's <c>get_bool_param</c> reads it; absent is <paramref name="fallback"/>.</summary>
    public static bool BoolParam(HttpRequest request, string name, bool fallback = false)
    {
        var text = request.Query[name].LastOrDefault();
        if (text is null) return fallback;
        return text.ToLowerInvariant() switch
        {
            "1" or "t" or "true" or "on" or "y" or "yes" => true,
            "0" or "f" or "false" or "off" or "n" or "no" => false,
            _ => throw CinderErrors.BadRequest($"Value '{text}' for '{name}' is not a boolean."),
        };
    }

    /// <summary>A JSON value written as cinder's messages print it (Python's <c>str()</c> of the decoded value).</summary>
    public static string Python(JsonNode? node) => node switch
    {
        null => "None",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.True => "True",
        JsonValue v when v.GetValueKind() == JsonValueKind.False => "False",
        JsonObject o when o.Count == 0 => "{}",
        JsonArray a when a.Count == 0 => "[]",
        _ => node.ToJsonString(),
    };
}
