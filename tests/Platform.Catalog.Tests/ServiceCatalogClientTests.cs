using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Platform.Catalog.Tests;

public sealed class ServiceCatalogClientTests : IAsyncLifetime
{
    private readonly ManualTimeProvider clock = new();
    private readonly ListLoggerProvider logs = new();
    private readonly List<WebApplication> hosts = [];
    private FakeIdentityServer identity = null!;

    public async Task InitializeAsync() => identity = await FakeIdentityServer.StartAsync(clock);

    public async Task DisposeAsync()
    {
        foreach (var host in hosts) await host.DisposeAsync();
        await identity.DisposeAsync();
    }

    private IServiceCatalog Catalog(Dictionary<string, string?>? configuration = null)
    {
        var host = CatalogHost.Build(configuration ?? CatalogHost.Configuration(identity.Url), clock, logs);
        hosts.Add(host);
        return host.Services.GetRequiredService<IServiceCatalog>();
    }

    [Fact]
    public async Task Finds_the_internal_endpoint_of_the_configured_region_by_default()
    {
        var endpoint = await Catalog().GetEndpointAsync("image");

        Assert.Equal(new Uri("http://glance-internal-one.test:9292/"), endpoint);
        Assert.Empty(identity.Problems);
    }

    [Fact]
    public async Task Interface_and_region_arguments_override_the_configuration()
    {
        var catalog = Catalog();

        Assert.Equal(new Uri("https://glance.example.test/"), await catalog.GetEndpointAsync("image", "public"));
        Assert.Equal(new Uri("http://glance-internal-two.test:9292/"), await catalog.GetEndpointAsync("image", region: "RegionTwo"));
        Assert.Equal(new Uri("http://nova-admin-two.test:8774/v2.1"), await catalog.GetEndpointAsync("compute", "adminURL", "RegionTwo"));
    }

    [Fact]
    public async Task Configured_interface_is_used_and_no_region_means_any()
    {
        var configuration = CatalogHost.Configuration(identity.Url);
        configuration["keystone_authtoken:region_name"] = "";
        configuration["keystone_authtoken:interface"] = "admin";

        Assert.Equal(new Uri("http://nova-admin-two.test:8774/v2.1"), await Catalog(configuration).GetEndpointAsync("compute"));
    }

    [Theory]
    [InlineData("/v3")]
    [InlineData("/v3/")]
    [InlineData("/")]
    public async Task Auth_url_may_carry_the_v3_suffix_or_not(string suffix)
    {
        var catalog = Catalog(CatalogHost.Configuration(new Uri(identity.Url + suffix)));

        Assert.StartsWith(FakeIdentityServer.TokenPrefix, await catalog.GetTokenAsync(), StringComparison.Ordinal);
        Assert.Empty(identity.Problems);
    }

    [Fact]
    public async Task Block_storage_finds_a_volumev3_entry()
    {
        Assert.Equal(new Uri("http://cinder-internal.test:8776/v3/0123456789abcdef"), await Catalog().GetEndpointAsync("block-storage"));
    }

    [Fact]
    public async Task Volumev3_finds_a_block_storage_entry()
    {
        identity.Catalog = [FakeIdentityServer.Service("block-storage", "cinder",
            FakeIdentityServer.Endpoint("internal", "RegionOne", "http://cinder.test:8776/v3/abc"))];

        Assert.Equal(new Uri("http://cinder.test:8776/v3/abc"), await Catalog().GetEndpointAsync("volumev3"));
    }

    [Fact]
    public async Task A_missing_endpoint_throws_a_clear_exception()
    {
        var catalog = Catalog();

        var noService = await Assert.ThrowsAsync<EndpointNotFoundException>(() => catalog.GetEndpointAsync("network"));
        var noRegion = await Assert.ThrowsAsync<EndpointNotFoundException>(() => catalog.GetEndpointAsync("image", "public", "RegionTwo"));

        Assert.Equal("the service catalog has no 'internal' endpoint for service type 'network' in region 'RegionOne'", noService.Message);
        Assert.Equal(("image", "public", "RegionTwo"), (noRegion.ServiceType, noRegion.Interface, noRegion.Region));
    }

    [Fact]
    public async Task The_token_is_cached_across_many_lookups()
    {
        var catalog = Catalog();

        for (var i = 0; i < 20; i++)
            await catalog.GetEndpointAsync("image");
        var token = await catalog.GetTokenAsync();

        Assert.Equal(1, identity.AuthRequests);
        Assert.Equal(FakeIdentityServer.TokenPrefix + "1", token);
    }

    [Fact]
    public async Task The_token_is_renewed_shortly_before_it_expires()
    {
        var catalog = Catalog();
        Assert.Equal(FakeIdentityServer.TokenPrefix + "1", await catalog.GetTokenAsync());

        clock.Advance(TimeSpan.FromMinutes(50));
        Assert.Equal(FakeIdentityServer.TokenPrefix + "1", await catalog.GetTokenAsync());

        // Inside the renewal margin, before expires_at.
        clock.Advance(TimeSpan.FromMinutes(10) - ServiceCatalogClient.RenewBefore + TimeSpan.FromSeconds(1));
        Assert.Equal(FakeIdentityServer.TokenPrefix + "2", await catalog.GetTokenAsync());
        await catalog.GetEndpointAsync("image");
        Assert.Equal(2, identity.AuthRequests);
    }

    [Fact]
    public async Task The_token_is_renewed_after_it_has_expired()
    {
        var catalog = Catalog();
        await catalog.GetEndpointAsync("image");

        clock.Advance(TimeSpan.FromHours(3));

        await catalog.GetEndpointAsync("image");
        Assert.Equal(FakeIdentityServer.TokenPrefix + "2", await catalog.GetTokenAsync());
        Assert.Equal(2, identity.AuthRequests);
    }

    [Fact]
    public async Task An_invalidated_token_is_replaced_and_a_stale_invalidation_is_ignored()
    {
        var catalog = Catalog();
        var first = await catalog.GetTokenAsync();

        catalog.InvalidateToken(first);
        var second = await catalog.GetTokenAsync();
        catalog.InvalidateToken(first);

        Assert.NotEqual(first, second);
        Assert.Equal(second, await catalog.GetTokenAsync());
        Assert.Equal(2, identity.AuthRequests);
    }

    [Fact]
    public async Task Concurrent_callers_share_one_authentication()
    {
        identity.AuthDelay = TimeSpan.FromMilliseconds(300);
        var catalog = Catalog();

        var lookups = Enumerable.Range(0, 30).Select(i => i % 2 == 0
            ? Task.Run(async () => (await catalog.GetEndpointAsync("image")).ToString())
            : Task.Run(() => catalog.GetTokenAsync()));
        var answers = await Task.WhenAll(lookups);

        Assert.Equal(1, identity.AuthRequests);
        Assert.Equal(2, answers.Distinct().Count());
    }

    [Fact]
    public async Task A_caller_giving_up_does_not_fail_the_shared_authentication()
    {
        identity.AuthDelay = TimeSpan.FromMilliseconds(300);
        var catalog = Catalog();
        using var impatient = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        var cancelled = catalog.GetTokenAsync(impatient.Token);
        var patient = catalog.GetTokenAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal(FakeIdentityServer.TokenPrefix + "1", await patient);
        Assert.Equal(1, identity.AuthRequests);
    }

    [Fact]
    public async Task Refused_credentials_give_a_clear_exception_and_are_not_cached()
    {
        var catalog = Catalog();
        identity.RefuseEveryone = true;

        var e = await Assert.ThrowsAsync<IdentityAuthenticationException>(() => catalog.GetEndpointAsync("image"));

        Assert.Equal(HttpStatusCode.Unauthorized, e.StatusCode);
        Assert.Contains("refused to authenticate user 'nova' (domain 'Default') in project 'service' (domain 'Default')", e.Message);
        Assert.Contains("401", e.Message);
        Assert.Contains("requires authentication", e.Message);
        Assert.DoesNotContain(FakeIdentityServer.Password, e.Message);

        identity.RefuseEveryone = false;
        Assert.Equal(new Uri("http://glance-internal-one.test:9292/"), await catalog.GetEndpointAsync("image"));
        Assert.Equal(2, identity.AuthRequests);
    }

    [Fact]
    public async Task A_wrong_password_is_refused()
    {
        var catalog = Catalog(CatalogHost.Configuration(identity.Url, password: "wrong"));

        var e = await Assert.ThrowsAsync<IdentityAuthenticationException>(() => catalog.GetTokenAsync());

        Assert.Equal(HttpStatusCode.Unauthorized, e.StatusCode);
        Assert.Empty(identity.Problems);
    }

    [Fact]
    public async Task An_unreachable_identity_service_gives_a_clear_exception()
    {
        var catalog = Catalog(CatalogHost.Configuration(new Uri($"http://127.0.0.1:{ClosedPort()}/v3")));

        var e = await Assert.ThrowsAsync<IdentityAuthenticationException>(() => catalog.GetTokenAsync());

        Assert.Null(e.StatusCode);
        Assert.Contains("could not reach the identity service", e.Message);
    }

    [Fact]
    public async Task Without_auth_url_the_client_says_so()
    {
        var catalog = Catalog(CatalogHost.Configuration(null));

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => catalog.GetTokenAsync());

        Assert.Contains("keystone_authtoken:auth_url", e.Message);
    }

    [Fact]
    public async Task Neither_password_nor_token_is_ever_logged()
    {
        var catalog = Catalog();
        var token = await catalog.GetTokenAsync();
        await catalog.GetEndpointAsync("image");
        identity.RefuseEveryone = true;
        catalog.InvalidateToken(token);
        await Assert.ThrowsAsync<IdentityAuthenticationException>(() => catalog.GetTokenAsync());

        Assert.NotEmpty(logs.Lines);
        Assert.All(logs.Lines, line =>
        {
            Assert.DoesNotContain(FakeIdentityServer.Password, line);
            Assert.DoesNotContain(FakeIdentityServer.TokenPrefix, line);
        });
    }

    [Fact]
    public void Options_never_print_the_password()
    {
        var options = new KeystoneAuthOptions { Username = "nova", Password = FakeIdentityServer.Password };

        Assert.DoesNotContain(FakeIdentityServer.Password, options.ToString());
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
