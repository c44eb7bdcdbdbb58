using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Platform.Context;
using Platform.Hosting;

namespace Platform.Auth.Tests;

/// <summary>A service with the shared defaults and token auth, on a real loopback port.</summary>
internal sealed class AuthTestApp : IAsyncDisposable
{
    private AuthTestApp(WebApplication app)
    {
        App = app;
        Client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
    }

    public WebApplication App { get; }
    public HttpClient Client { get; }

    public static async Task<AuthTestApp> StartAsync(string authUrl, string? wwwAuthenticateUri = null)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["keystone_authtoken:auth_url"] = authUrl,
            ["keystone_authtoken:www_authenticate_uri"] = wwwAuthenticateUri,
        });
        builder.AddServiceDefaults(new ServiceDescription("auth-test", 0, ApiFlavor.Keystone), []);
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddTokenAuth();

        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapGet("/protected", () => Results.Json(View(RequestContextAccessor.Current)));
        app.MapGet("/open", () => Results.Json(View(RequestContextAccessor.Current))).AllowAnonymous();
        await app.StartAsync();
        return new AuthTestApp(app);
    }

    // What a handler sees of the caller; a bool stands in for the token itself.
    private static object View(RequestContext? c) => new
    {
        request_id = c?.RequestId,
        global_request_id = c?.GlobalRequestId,
        user_id = c?.UserId,
        user_name = c?.UserName,
        user_domain_id = c?.UserDomainId,
        project_id = c?.ProjectId,
        project_name = c?.ProjectName,
        project_domain_id = c?.ProjectDomainId,
        domain_id = c?.DomainId,
        system_scope = c?.SystemScope,
        roles = c?.Roles,
        service_user_id = c?.ServiceUserId,
        service_roles = c?.ServiceRoles,
        has_token = c?.AuthToken is not null,
    };

    public async Task<HttpResponseMessage> GetAsync(string path, string? token = null, string? serviceToken = null, string? globalRequestId = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null) request.Headers.Add("X-Auth-Token", token);
        if (serviceToken is not null) request.Headers.Add("X-Service-Token", serviceToken);
        if (globalRequestId is not null) request.Headers.Add("X-OpenStack-Request-ID", globalRequestId);
        return await Client.SendAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
