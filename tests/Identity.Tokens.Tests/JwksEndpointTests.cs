using System.Net;
using Identity.Keys;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.Auth;

namespace Identity.Tokens.Tests;

/// <summary>The key set over real Kestrel, read back the way services read it.</summary>
public sealed class JwksEndpointTests : IAsyncLifetime
{
    private readonly KeyDirectory dir = new();
    private WebApplication app = null!;
    private HttpClient http = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration["token:key_repository"] = dir.Dir;
        builder.Services.AddSingleton<TimeProvider>(dir.Clock);
        builder.AddIdentityTokens();
        app = builder.Build();
        app.MapJwks();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        http = new HttpClient { BaseAddress = new Uri(address) };
    }

    [Fact]
    public async Task Every_key_is_published_and_tokens_validate_against_the_set()
    {
        var repository = app.Services.GetRequiredService<KeyRepository>();
        repository.Setup();
        var old = app.Services.GetRequiredService<ITokenIssuer>().Issue(TokenIssuerTests.Payload(dir.Clock.GetUtcNow()));
        repository.Rotate();
        var fresh = app.Services.GetRequiredService<ITokenIssuer>().Issue(TokenIssuerTests.Payload(dir.Clock.GetUtcNow()));

        using var response = await http.GetAsync(JwksEndpoint.Path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("max-age=60", response.Headers.CacheControl?.ToString());
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var published = Jwks.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(repository.Current.Keys.Select(k => k.KeyId).Order(), published.Keys.Order());
        Assert.Equal(3, published.Count);

        var validator = new TokenValidator(new StaticSigningKeyProvider(published), new InMemoryTokenRevocationList(dir.Clock),
            new AuthTokenSettings(), dir.Clock);
        Assert.True((await validator.ValidateAsync(old)).IsValid);
        Assert.True((await validator.ValidateAsync(fresh)).IsValid);
    }

    [Fact]
    public async Task The_set_holds_public_keys_only()
    {
        app.Services.GetRequiredService<KeyRepository>().Setup();
        var json = await http.GetStringAsync(JwksEndpoint.Path);
        Assert.DoesNotContain("\"d\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Identity_validates_with_its_own_keys_even_after_AddTokenAuth()
    {
        Assert.IsType<RepositorySigningKeyProvider>(app.Services.GetRequiredService<ISigningKeyProvider>());

        var builder = WebApplication.CreateBuilder();
        builder.AddIdentityTokens();
        builder.AddTokenAuth();
        using var built = builder.Build();
        Assert.IsType<RepositorySigningKeyProvider>(built.Services.GetRequiredService<ISigningKeyProvider>());
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await app.DisposeAsync();
        dir.Dispose();
    }
}
