using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Hosting;

namespace NetworkServer.Common;

/// <summary>
/// A request body <c>{"network": {...}}</c>, its attributes checked as neutron's API layer
/// checks them: unknown attributes and attributes of the wrong type are a 400 before anything
/// is read from or written to the database.
/// </summary>
public sealed class NeutronBody
{
    private const int MaxBody = 1 << 20;

    private NeutronBody(string resource, JsonObject attributes)
    {
        Resource = resource;
        Attributes = attributes;
    }

    public string Resource { get; }

    public JsonObject Attributes { get; }

    public bool Has(string name) => Attributes.ContainsKey(name);

    public static async Task<JsonObject> ReadRawAsync(HttpRequest request)
    {
        if (request.ContentLength > MaxBody) throw new ApiException(HttpStatusCode.RequestEntityTooLarge, "Request body too large.");
        try
        {
            if (await JsonNode.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted) is JsonObject o) return o;
        }
        catch (JsonException)
        {
        }
        throw NeutronErrors.BadRequest("HTTPBadRequest", "Body contains invalid data");
    }

    /// <summary>Reads <c>{resource: {...}}</c>; attributes outside <paramref name="allowed"/> are refused.</summary>
    public static async Task<NeutronBody> ReadAsync(HttpRequest request, string resource, IReadOnlyCollection<string> allowed)
    {
        var raw = await ReadRawAsync(request);
        if (raw[resource] is not JsonObject attributes)
            throw NeutronErrors.BadRequest("HTTPBadRequest", $"Unable to find '{resource}' in request body");
        var unknown = attributes.Select(a => a.Key).Where(k => !allowed.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw NeutronErrors.BadRequest("HTTPBadRequest", $"Unrecognized attribute(s) '{string.Join(", ", unknown)}'");
        return new NeutronBody(resource, attributes);
    }

    public static NeutronBody Of(string resource, JsonObject attributes) => new(resource, attributes);

    /// <summary>A string member of an object nested in <paramref name="attribute"/> (a pool's <c>start</c>): a 400 if it is not a string.</summary>
    public static string? StringIn(JsonObject nested, string member, string attribute) => new NeutronBody(attribute, nested).String(member);

    public string? String(string name, int maxLength = 255)
    {
        if (!Attributes.TryGetPropertyValue(name, out var node) || node is null) return null;
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
            throw NeutronErrors.BadAttribute(name, $"'{node.ToJsonString()}' is not a valid string");
        var s = v.GetValue<string>();
        if (s.Length > maxLength) throw NeutronErrors.BadAttribute(name, $"'{s}' exceeds maximum length of {maxLength}");
        return s;
    }

    public bool? Bool(string name)
    {
        if (!Attributes.TryGetPropertyValue(name, out var node) || node is null) return null;
        if (node is JsonValue v)
        {
            switch (v.GetValueKind())
            {
                case JsonValueKind.True: return true;
                case JsonValueKind.False: return false;
                case JsonValueKind.String:
                    var s = v.GetValue<string>().ToLowerInvariant();
                    if (s is "true" or "1" or "yes" or "on") return true;
                    if (s is "false" or "0" or "no" or "off") return false;
                    break;
                case JsonValueKind.Number when v.TryGetValue<int>(out var n) && n is 0 or 1:
                    return n == 1;
            }
        }
        throw NeutronErrors.BadAttribute(name, $"'{node.ToJsonString().Trim('"')}' cannot be converted to boolean");
    }

    public int? Int(string name)
    {
        if (!Attributes.TryGetPropertyValue(name, out var node) || node is null) return null;
        if (node is JsonValue v)
        {
            if (v.TryGetValue<int>(out var n)) return n;
            if (v.GetValueKind() == JsonValueKind.String && int.TryParse(v.GetValue<string>(), out n)) return n;
        }
        throw NeutronErrors.BadAttribute(name, $"'{node.ToJsonString().Trim('"')}' is not an integer");
    }

    public JsonArray? Array(string name)
    {
        if (!Attributes.TryGetPropertyValue(name, out var node) || node is null) return null;
        return node as JsonArray ?? throw NeutronErrors.BadAttribute(name, $"'{node.ToJsonString()}' is not a list");
    }

    public JsonObject? Object(string name)
    {
        if (!Attributes.TryGetPropertyValue(name, out var node) || node is null) return null;
        return node as JsonObject ?? throw NeutronErrors.BadAttribute(name, $"'{node.ToJsonString()}' is not a dictionary");
    }

    /// <summary>A list of strings (<c>security_groups</c>, <c>dns_nameservers</c>).</summary>
    public List<string>? Strings(string name)
    {
        if (Array(name) is not { } array) return null;
        return [.. array.Select(n => n is JsonValue v && v.GetValueKind() == JsonValueKind.String
            ? v.GetValue<string>() : throw NeutronErrors.BadAttribute(name, $"'{array.ToJsonString()}' is not a list of strings"))];
    }

    /// <summary>A UUID attribute (<c>network_id</c>): neutron refuses anything else with a 400.</summary>
    public string? Uuid(string name)
    {
        var s = String(name);
        if (s is null) return null;
        return Guid.TryParseExact(s, "D", out var g) ? g.ToString() : throw NeutronErrors.BadAttribute(name, $"'{s}' is not a valid UUID");
    }

    public string RequiredUuid(string name) =>
        Uuid(name) ?? throw NeutronErrors.BadRequest("HTTPBadRequest", $"Failed to parse request. Required attribute '{name}' not specified");
}
