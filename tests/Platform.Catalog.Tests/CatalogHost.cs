using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Platform.Catalog.Tests;

/// <summary>A service's container wired by <see cref="CatalogExtensions.AddServiceCatalog"/>, built but not run.</summary>
internal static class CatalogHost
{
    public static WebApplication Build(IDictionary<string, string?> configuration, TimeProvider? clock = null, ListLoggerProvider? logs = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Logging.ClearProviders().SetMinimumLevel(LogLevel.Trace);
        if (logs is not null) builder.Logging.AddProvider(logs);
        if (clock is not null) builder.Services.AddSingleton(clock);
        builder.AddServiceCatalog();
        return builder.Build();
    }

    public static Dictionary<string, string?> Configuration(Uri? authUrl, string password = FakeIdentityServer.Password) => new()
    {
        ["keystone_authtoken:auth_url"] = authUrl?.ToString(),
        ["keystone_authtoken:username"] = FakeIdentityServer.User,
        ["keystone_authtoken:password"] = password,
        ["keystone_authtoken:region_name"] = "RegionOne",
    };
}
