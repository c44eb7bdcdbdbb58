using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.Hosting;

namespace Platform.Catalog;

public static class CatalogExtensions
{
    private static readonly TimeSpan requestTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan healthTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Registers <see cref="IServiceCatalog"/> for the service user of <c>[keystone_authtoken]</c>,
    /// and, when <c>auth_url</c> is configured, the <see cref="IdentityHealthCheck"/> readiness check.
    /// Call it after <c>AddServiceDefaults</c>, whose configuration sources it reads.
    /// </summary>
    public static WebApplicationBuilder AddServiceCatalog(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        if (services.Any(d => d.ServiceType == typeof(ServiceCatalogClient)))
            return builder;

        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpClient(ServiceCatalogClient.HttpClientName, c => c.Timeout = requestTimeout);
        services.TryAddSingleton(sp => KeystoneAuthOptions.FromConfiguration(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton<ServiceCatalogClient>();
        services.TryAddSingleton<IServiceCatalog>(sp => sp.GetRequiredService<ServiceCatalogClient>());

        // Without auth_url the service has no identity to depend on; the client fails on use instead.
        if (!string.IsNullOrWhiteSpace(builder.Configuration[KeystoneAuthOptions.AuthUrlKey]))
        {
            services.AddHealthChecks().AddCheck<IdentityHealthCheck>(
                IdentityHealthCheck.Name, tags: [ServiceDefaults.ReadyTag], timeout: healthTimeout);
        }
        return builder;
    }
}
