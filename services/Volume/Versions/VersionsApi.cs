using Volume.Common;

namespace Volume.Versions;

/// <summary>
/// Version discovery as cinder answers it: <c>GET /</c> is 300 Multiple Choices and <c>GET /v3/</c>
/// 200, both with the one version there is (v3.0 with its microversion range). cinderclient reads
/// the root, without a token; <c>/v3/</c> sits behind the token check, as in cinder.
/// </summary>
public static class VersionsApi
{
    public static IEndpointRouteBuilder MapVersions(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", (HttpRequest r) => Results.Json(Body(r), statusCode: StatusCodes.Status300MultipleChoices)).AllowAnonymous();
        // Also serves /v3/: routing takes a trailing slash as the same path.
        app.MapGet("/v3", (HttpRequest r) => Results.Json(Body(r)));
        return app;
    }

    private static Dictionary<string, object> Body(HttpRequest request) => new()
    {
        ["versions"] = new object[]
        {
            // The single-version entry spells "media-types" with a dash, as cinder's does.
            new Dictionary<string, object>
            {
                ["id"] = "v3.0",
                ["status"] = "CURRENT",
                ["version"] = ApiVersion.Max.ToString(),
                ["min_version"] = ApiVersion.Min.ToString(),
                ["updated"] = ApiVersion.Updated,
                ["links"] = new object[]
                {
                    new { rel = "describedby", type = "text/html", href = "https://docs.openstack.org/" },
                    new { rel = "self", href = $"{request.Scheme}://{request.Host}{request.PathBase}/v3/" },
                },
                ["media-types"] = new[] { new { @base = "application/json", type = "application/vnd.openstack.volume+json;version=3" } },
            },
        },
    };
}
