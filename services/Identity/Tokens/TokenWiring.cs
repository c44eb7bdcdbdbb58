using Identity.Keys;
using Identity.Passwords;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.Auth;
using Platform.Hosting;

namespace Identity.Tokens;

public static class TokenWiring
{
    /// <summary>
    /// The key repository (<c>token:key_repository</c>, <c>token:expiration</c>), its
    /// <see cref="ISigningKeyProvider"/>, the password hasher (<c>identity:password_hash_rounds</c>,
    /// <c>identity:max_password_length</c>), the token issuer and the <c>keys setup</c> and
    /// <c>keys rotate</c> commands.
    /// </summary>
    /// <remarks>
    /// Call it before <c>AddTokenAuth</c> (so before <c>AddServiceStack</c>): that registers its
    /// JWKS-over-HTTP key provider only when none is registered yet, and identity must validate
    /// tokens against its own repository.
    /// </remarks>
    public static WebApplicationBuilder AddIdentityTokens(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => KeyRepositoryOptions.FromConfiguration(sp.GetRequiredService<IConfiguration>()));
        services.TryAddSingleton<KeyRepository>();
        services.AddSingleton<ISigningKeyProvider, RepositorySigningKeyProvider>();
        services.TryAddSingleton(sp => PasswordHasherOptions.FromConfiguration(sp.GetRequiredService<IConfiguration>()));
        services.TryAddSingleton<IPasswordHasher, Pbkdf2PasswordHasher>();
        services.TryAddSingleton<ITokenIssuer, TokenIssuer>();
        services.AddSingleton<IServiceCommand, KeysSetupCommand>();
        services.AddSingleton<IServiceCommand, KeysRotateCommand>();
        return builder;
    }
}
