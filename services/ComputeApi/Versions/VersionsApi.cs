using ComputeApi.Common;

namespace ComputeApi.Versions;

/// <summary>Version discovery: <c>GET /</c> lists v2.0 and v2.1; <c>GET /v2.1</c> describes v2.1 with its microversion range.</summary>
public static class VersionsApi
{
    private static object V21(string root) => new
    {
        id = "v2.1",
        status = "CURRENT",
        version = ApiVersion.Max.ToString(),
        min_version = ApiVersion.Min.ToString(),
        updated = "2013-07-23T11:33:21Z",
        links = new object[] { new { rel = "self", href = $"{root}/v2.1/" } },
        media_types = new[] { new { @base = "application/json", type = "application/vnd.openstack.compute+json;version=2.1" } },
    };

    private static object V20(string root) => new
    {
        id = "v2.0",
        status = "SUPPORTED",
        version = "",
        min_version = "",
        updated = "2011-01-21T11:33:21Z",
        links = new object[] { new { rel = "self", href = $"{root}/v2/" } },
    };

    public static IEndpointRouteBuilder MapVersions(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", (HttpRequest r) => Results.Json(new { versions = new[] { V20(Root(r)), V21(Root(r)) } })).AllowAnonymous();
        app.MapGet("/v2.1", (HttpRequest r) => Results.Json(new { version = Described(Root(r)) })).AllowAnonymous();
        return app;
    }

    // The single-version document spells "media-types" with a dash, as nova's does.
    private static Dictionary<string, object> Described(string root) => new()
    {
        ["id"] = "v2.1",
        ["status"] = "CURRENT",
        ["version"] = ApiVersion.Max.ToString(),
        ["min_version"] = ApiVersion.Min.ToString(),
        ["updated"] = "2013-07-23T11:33:21Z",
        ["links"] = new object[] { new { rel = "self", href = $"{root}/v2.1/" }, new { rel = "describedby", type = "text/html", href = "https://docs.openstack.org/" } },
        ["media-types"] = new[] { new { @base = "application/json", type = "application/vnd.openstack.compute+json;version=2.1" } },
    };

    private static string Root(HttpRequest r) => $"{r.Scheme}://{r.Host}{r.PathBase}";
}
