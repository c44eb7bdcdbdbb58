using System.Net;
using Identity.Keys;
using Platform.Hosting;

namespace Identity.Tokens;

public static class JwksEndpoint
{
    public const string Path = "/v3/auth/jwks";

    /// <summary>
    /// <c>GET /v3/auth/jwks</c>, anonymous: the public half of every key, staged and secondaries
    /// included, for services to validate tokens with. Cached by clients for a minute, which is
    /// well inside the time a staged key waits before it signs.
    /// </summary>
    public static WebApplication MapJwks(this WebApplication app)
    {
        app.MapGet(Path, (KeyRepository repository, HttpContext http) =>
        {
            var keys = repository.Current;
            // An empty set would make services forget the keys they have; an error makes them keep them.
            if (keys.Keys.Count == 0)
                throw new ApiException(HttpStatusCode.ServiceUnavailable, "The token signing keys are not set up.");
            http.Response.Headers.CacheControl = "max-age=60";
            return Results.Content(keys.Jwks, "application/json");
        }).AllowAnonymous();
        return app;
    }
}
