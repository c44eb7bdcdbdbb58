using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Platform.Auth.Tests;

/// <summary>A stand-in for the identity service's JWKS endpoint on a real loopback port.</summary>
internal sealed class JwksServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private volatile string document = Jwks.Serialize([]);
    private int hits;

    private JwksServer(WebApplication app) => this.app = app;

    /// <summary>The auth_url to configure: the JWKS document is at {BaseUrl}/v3/auth/jwks.</summary>
    public string BaseUrl => app.Urls.First();

    public int Hits => Volatile.Read(ref hits);

    /// <summary>When set, the endpoint answers 503 as an unreachable identity service would.</summary>
    public bool Failing { get; set; }

    public void Publish(params TestKey[] keys) => document = Jwks.Serialize(keys.Select(k => (k.KeyId, k.Key)));

    public void PublishRaw(string json) => document = json;

    public static async Task<JwksServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new JwksServer(app);
        app.MapGet("/v3/auth/jwks", (HttpContext http) =>
        {
            Interlocked.Increment(ref server.hits);
            return server.Failing
                ? Results.StatusCode(StatusCodes.Status503ServiceUnavailable)
                : Results.Text(server.document, "application/json");
        });
        await app.StartAsync();
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
