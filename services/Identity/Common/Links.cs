using Microsoft.AspNetCore.Http;

namespace Identity.Common;

/// <summary>The <c>links</c> keystone puts on every resource and collection.</summary>
public static class Links
{
    public static string Base(HttpRequest request) => $"{request.Scheme}://{request.Host}";

    public static object Self(HttpRequest request, string path) => new { self = $"{Base(request)}/v3/{path}" };

    public static object Collection(HttpRequest request) =>
        new { self = $"{Base(request)}{request.Path}{request.QueryString}", previous = (string?)null, next = (string?)null };
}
