using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Platform.Hosting;

namespace Platform.Catalog.Tests;

public sealed class IdentityHealthCheckTests : IAsyncLifetime
{
    private FakeIdentityServer identity = null!;

    public async Task InitializeAsync() => identity = await FakeIdentityServer.StartAsync(TimeProvider.System);

    public async Task DisposeAsync() => await identity.DisposeAsync();

    [Theory]
    [InlineData(200, HealthStatus.Healthy)]
    [InlineData(300, HealthStatus.Healthy)]
    [InlineData(401, HealthStatus.Healthy)]
    [InlineData(500, HealthStatus.Unhealthy)]
    [InlineData(503, HealthStatus.Unhealthy)]
    public async Task Readiness_follows_what_identity_answers(int status, HealthStatus expected)
    {
        identity.VersionStatus = status;
        await using var host = CatalogHost.Build(CatalogHost.Configuration(new Uri(identity.Url + "/v3")));

        var report = await ReadinessAsync(host.Services);

        Assert.Equal(expected, report.Entries[IdentityHealthCheck.Name].Status);
        Assert.Contains(status.ToString(), report.Entries[IdentityHealthCheck.Name].Description);
        Assert.Equal(0, identity.AuthRequests);
    }

    [Fact]
    public async Task An_unreachable_identity_is_not_ready()
    {
        await using var server = await FakeIdentityServer.StartAsync(TimeProvider.System);
        var url = server.Url;
        await server.DisposeAsync();
        await using var host = CatalogHost.Build(CatalogHost.Configuration(url));

        var report = await ReadinessAsync(host.Services);

        Assert.Equal(HealthStatus.Unhealthy, report.Entries[IdentityHealthCheck.Name].Status);
        Assert.Contains("unreachable", report.Entries[IdentityHealthCheck.Name].Description);
    }

    [Fact]
    public async Task The_check_is_tagged_ready()
    {
        await using var host = CatalogHost.Build(CatalogHost.Configuration(identity.Url));

        var registration = Assert.Single(host.Services.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations);
        Assert.Equal(IdentityHealthCheck.Name, registration.Name);
        Assert.Contains(ServiceDefaults.ReadyTag, registration.Tags);
    }

    [Fact]
    public async Task Without_auth_url_no_check_is_registered()
    {
        await using var host = CatalogHost.Build(CatalogHost.Configuration(null));

        var options = host.Services.GetService<IOptions<HealthCheckServiceOptions>>();
        Assert.True(options is null || options.Value.Registrations.Count == 0);
        Assert.NotNull(host.Services.GetRequiredService<IServiceCatalog>());
    }

    private static Task<HealthReport> ReadinessAsync(IServiceProvider services) =>
        services.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Tags.Contains(ServiceDefaults.ReadyTag));
}
