namespace Image.Versions;

/// <summary>Version discovery: every 2.x that glance's v2 API has had, the newest CURRENT.</summary>
public static class VersionsApi
{
    public const int CurrentMinor = 16;

    private static object Body(HttpRequest request)
    {
        var root = $"{request.Scheme}://{request.Host}{request.PathBase}";
        var versions = Enumerable.Range(0, CurrentMinor + 1).Reverse().Select(minor => new
        {
            id = $"v2.{minor}",
            status = minor == CurrentMinor ? "CURRENT" : "SUPPORTED",
            links = new[] { new { rel = "self", href = $"{root}/v2/" } },
        });
        return new { versions };
    }

    public static void MapVersions(this IEndpointRouteBuilder app)
    {
        // glance answers the root with 300 Multiple Choices, and /versions with 200.
        app.MapGet("/", (HttpRequest r) => Results.Json(Body(r), statusCode: StatusCodes.Status300MultipleChoices)).AllowAnonymous();
        app.MapGet("/versions", (HttpRequest r) => Results.Json(Body(r))).AllowAnonymous();
    }
}
