using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Hosting;

namespace Image.Common;

/// <summary>Request bodies, refused in glance's words when they are not what the schema allows.</summary>
public static class GlanceBody
{
    private const int MaxBody = 1 << 20;

    public static async Task<JsonNode> ReadAsync(HttpRequest request)
    {
        if (request.ContentLength > MaxBody) throw new ApiException(System.Net.HttpStatusCode.RequestEntityTooLarge, "Request body too large.");
        try
        {
            return await JsonNode.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted)
                ?? throw ApiException.BadRequest("Malformed JSON in request body.");
        }
        catch (JsonException)
        {
            throw ApiException.BadRequest("Malformed JSON in request body.");
        }
    }

    public static async Task<JsonObject> ReadObjectAsync(HttpRequest request, string schema) =>
        await ReadAsync(request) as JsonObject ?? throw Schema(schema, "the body is not an object");

    public static ApiException Schema(string schema, string detail) =>
        ApiException.BadRequest($"Provided object does not match schema '{schema}': {detail}");

    public static bool IsString(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.String;
}
