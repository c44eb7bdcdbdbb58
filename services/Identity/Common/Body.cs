using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Identity.Common;

/// <summary>
/// Reads a request body the way keystone's JSON-schema validation does: the wrapper object must
/// be there, fields have the right types, and a wrong body changes nothing.
/// </summary>
public static class Body
{
    public static async Task<JsonObject> ReadAsync(HttpRequest request, string wrapper)
    {
        JsonNode? root;
        try
        {
            root = await JsonNode.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted);
        }
        catch (JsonException)
        {
            throw KeystoneErrors.Validation("Malformed request body: the JSON could not be parsed.");
        }
        if (root is not JsonObject obj || obj[wrapper] is not JsonObject inner)
            throw KeystoneErrors.Missing(wrapper, "request body");
        return inner;
    }

    public static string? String(this JsonObject obj, string field, int maxLength = 255)
    {
        var node = obj[field];
        if (node is null) return null;
        if (node.GetValueKind() != JsonValueKind.String)
            throw KeystoneErrors.Validation($"Invalid input for field '{field}': {node.ToJsonString()} is not of type 'string'.");
        var value = node.GetValue<string>();
        if (value.Length > maxLength)
            throw KeystoneErrors.Validation($"Invalid input for field '{field}': the value is longer than {maxLength} characters.");
        return value;
    }

    public static string RequiredName(this JsonObject obj, string field = "name", int maxLength = 255)
    {
        var value = obj.String(field, maxLength);
        if (string.IsNullOrWhiteSpace(value))
            throw KeystoneErrors.Validation($"Invalid input for field '{field}': a non-empty string is required.");
        return value.Trim();
    }

    public static bool? Bool(this JsonObject obj, string field)
    {
        var node = obj[field];
        if (node is null) return null;
        return node.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw KeystoneErrors.Validation($"Invalid input for field '{field}': {node.ToJsonString()} is not of type 'boolean'."),
        };
    }

    public static List<string>? StringList(this JsonObject obj, string field)
    {
        var node = obj[field];
        if (node is null) return null;
        if (node is not JsonArray array || array.Any(n => n?.GetValueKind() != JsonValueKind.String))
            throw KeystoneErrors.Validation($"Invalid input for field '{field}': a list of strings is required.");
        return [.. array.Select(n => n!.GetValue<string>())];
    }

    /// <summary>True when the body names <paramref name="field"/> at all (even as null).</summary>
    public static bool Has(this JsonObject obj, string field) => obj.ContainsKey(field);
}
