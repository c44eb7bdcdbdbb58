using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.Hosting;

namespace Platform.Auth;

public static class TokenAuthExtensions
{
    /// <summary>
    /// Token validation for a service's API: keys from the identity service's JWKS endpoint,
    /// the in-memory revocation list, and the middleware <see cref="ServiceDefaults.MapDefaultEndpoints"/> places.
    /// </summary>
    public static WebApplicationBuilder AddTokenAuth(this WebApplicationBuilder builder)
    {
        builder.Services.AddTokenAuth();
        return builder;
    }

    public static IServiceCollection AddTokenAuth(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => AuthTokenSettings.FromConfiguration(sp.GetRequiredService<IConfiguration>()));
        services.AddHttpClient(JwksKeyProvider.HttpClientName);
        // TryAdd: the identity service registers its own keys and revocation store first.
        services.TryAddSingleton<ISigningKeyProvider, JwksKeyProvider>();
        services.TryAddSingleton<InMemoryTokenRevocationList>();
        services.TryAddSingleton<ITokenRevocationList>(sp => sp.GetRequiredService<InMemoryTokenRevocationList>());
        services.TryAddSingleton<TokenValidator>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IMiddlewareContributor, TokenAuthContributor>());
        return services;
    }
}
