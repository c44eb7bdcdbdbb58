using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Platform.Catalog.Tests;

/// <summary>
/// Just enough of keystone v3 on 127.0.0.1 (under /identity, as devstack serves it): password
/// authentication that insists on the body shape keystone parses, and <c>GET /v3</c>.
/// </summary>
internal sealed class FakeIdentityServer : IAsyncDisposable
{
    public const string User = "nova";
    public const string Password = "s3cret-Passw0rd";
    public const string TokenPrefix = "gAAAAAfake-token-";

    private readonly WebApplication app;
    private readonly TimeProvider clock;
    private int authRequests;

    private FakeIdentityServer(WebApplication app, TimeProvider clock)
    {
        this.app = app;
        this.clock = clock;
    }

    /// <summary>The identity root, e.g. http://127.0.0.1:PORT/identity (no /v3).</summary>
    public Uri Url { get; private set; } = null!;

    public int AuthRequests => Volatile.Read(ref authRequests);

    /// <summary>What was wrong with request bodies; a test expects none.</summary>
    public ConcurrentQueue<string> Problems { get; } = new();

    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);
    public TimeSpan AuthDelay { get; set; }
    public bool RefuseEveryone { get; set; }
    public int VersionStatus { get; set; } = 200;

    public JsonArray Catalog { get; set; } = DefaultCatalog();

    public static async Task<FakeIdentityServer> StartAsync(TimeProvider clock)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var server = new FakeIdentityServer(builder.Build(), clock);
        server.app.MapPost("/identity/v3/auth/tokens", server.IssueTokenAsync);
        server.app.MapGet("/identity/v3", (HttpContext http) => { http.Response.StatusCode = server.VersionStatus; return http.Response.WriteAsync("{}"); });
        await server.app.StartAsync();
        server.Url = new Uri(server.app.Urls.First() + "/identity");
        return server;
    }

    public static JsonObject Endpoint(string @interface, string region, string url) =>
        new() { ["id"] = Guid.NewGuid().ToString("N"), ["interface"] = @interface, ["region"] = region, ["region_id"] = region, ["url"] = url };

    public static JsonObject Service(string type, string name, params JsonObject[] endpoints) =>
        new() { ["id"] = Guid.NewGuid().ToString("N"), ["type"] = type, ["name"] = name, ["endpoints"] = new JsonArray([.. endpoints]) };

    private static JsonArray DefaultCatalog() =>
    [
        Service("image", "glance",
            Endpoint("public", "RegionOne", "https://glance.example.test/"),
            Endpoint("internal", "RegionOne", "http://glance-internal-one.test:9292/"),
            Endpoint("internal", "RegionTwo", "http://glance-internal-two.test:9292/")),
        Service("volumev3", "cinderv3",
            Endpoint("internal", "RegionOne", "http://cinder-internal.test:8776/v3/0123456789abcdef")),
        Service("compute", "nova",
            Endpoint("admin", "RegionTwo", "http://nova-admin-two.test:8774/v2.1")),
    ];

    private async Task IssueTokenAsync(HttpContext http)
    {
        Interlocked.Increment(ref authRequests);
        if (AuthDelay > TimeSpan.Zero) await Task.Delay(AuthDelay);

        JsonNode? body = null;
        try { body = await JsonNode.ParseAsync(http.Request.Body); }
        catch (JsonException e) { Problems.Enqueue("body is not JSON: " + e.Message); }
        var problems = Check(http.Request.ContentType, body);
        foreach (var p in problems) Problems.Enqueue(p);
        if (problems.Count > 0)
        {
            await WriteAsync(http, 400, new JsonObject { ["error"] = new JsonObject { ["code"] = 400, ["title"] = "Bad Request", ["message"] = string.Join("; ", problems) } });
            return;
        }

        var user = body!["auth"]!["identity"]!["password"]!["user"]!;
        if (RefuseEveryone || (string?)user["name"] != User || (string?)user["password"] != Password)
        {
            // keystone's answer to wrong credentials.
            http.Response.Headers.WWWAuthenticate = "Keystone uri=\"" + Url + "\"";
            await WriteAsync(http, 401, new JsonObject
            {
                ["error"] = new JsonObject { ["code"] = 401, ["title"] = "Unauthorized", ["message"] = "The request you have made requires authentication." },
            });
            return;
        }

        var expiresAt = clock.GetUtcNow() + TokenLifetime;
        http.Response.Headers["X-Subject-Token"] = TokenPrefix + AuthRequests;
        await WriteAsync(http, 201, new JsonObject
        {
            ["token"] = new JsonObject
            {
                ["methods"] = new JsonArray("password"),
                ["user"] = new JsonObject { ["id"] = "u1", ["name"] = User, ["domain"] = new JsonObject { ["id"] = "default", ["name"] = "Default" } },
                ["project"] = new JsonObject { ["id"] = "p1", ["name"] = "service", ["domain"] = new JsonObject { ["id"] = "default", ["name"] = "Default" } },
                ["roles"] = new JsonArray(new JsonObject { ["id"] = "r1", ["name"] = "service" }),
                // keystone writes microseconds and a Z.
                ["expires_at"] = expiresAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture),
                ["issued_at"] = clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture),
                ["catalog"] = Catalog.DeepClone(),
            },
        });
    }

    // What keystone's v3 schema for a password, project-scoped request requires.
    private static List<string> Check(string? contentType, JsonNode? body)
    {
        var problems = new List<string>();
        if (contentType is null || !contentType.StartsWith("application/json", StringComparison.Ordinal))
            problems.Add($"content type is {contentType}");
        var identity = body?["auth"]?["identity"];
        if (identity?["methods"] is not JsonArray methods || methods.Count != 1 || (string?)methods[0] != "password")
            problems.Add("auth.identity.methods is not [\"password\"]");
        var user = identity?["password"]?["user"];
        if (user?["name"]?.GetValueKind() != JsonValueKind.String) problems.Add("auth.identity.password.user.name missing");
        if (user?["password"]?.GetValueKind() != JsonValueKind.String) problems.Add("auth.identity.password.user.password missing");
        if ((string?)user?["domain"]?["name"] != "Default") problems.Add("auth.identity.password.user.domain.name is not Default");
        var project = body?["auth"]?["scope"]?["project"];
        if ((string?)project?["name"] != "service") problems.Add("auth.scope.project.name is not service");
        if ((string?)project?["domain"]?["name"] != "Default") problems.Add("auth.scope.project.domain.name is not Default");
        return problems;
    }

    private static Task WriteAsync(HttpContext http, int status, JsonNode body)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        return http.Response.WriteAsync(body.ToJsonString());
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
