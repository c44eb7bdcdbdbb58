using Identity.Common;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Identity.Versions;

/// <summary>Version discovery: clients GET the root before anything else.</summary>
public static class VersionsApi
{
    public const string Version = "v3.14";

    private static object V3(HttpRequest request) => new
    {
        id = Version,
        status = "stable",
        updated = "2020-04-07T00:00:00Z",
        links = new[] { new { rel = "self", href = $"{Links.Base(request)}/v3/" } },
        media_types = new[] { new { @base = "application/json", type = "application/vnd.openstack.identity-v3+json" } },
    };

    public static void MapVersions(this IEndpointRouteBuilder app)
    {
        // keystone answers the root with 300 Multiple Choices.
        app.MapGet("/", (HttpRequest r) => Results.Json(new { versions = new { values = new[] { Rename(V3(r)) } } }, statusCode: StatusCodes.Status300MultipleChoices)).AllowAnonymous();
        app.MapGet("/v3", (HttpRequest r) => Results.Json(new { version = Rename(V3(r)) })).AllowAnonymous();
    }

    // "media-types" is not a C# name.
    private static Dictionary<string, object?> Rename(object v)
    {
        var json = System.Text.Json.JsonSerializer.SerializeToNode(v)!.AsObject();
        var types = json["media_types"];
        json.Remove("media_types");
        json["media-types"] = types?.DeepClone();
        return json.ToDictionary(p => p.Key, p => (object?)p.Value);
    }
}
