using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Platform.Auth;

/// <summary>
/// The <c>[keystone_authtoken]</c> options token validation reads, named as keystonemiddleware
/// names them where it has the same option.
/// </summary>
public sealed record AuthTokenSettings
{
    public const string Section = "keystone_authtoken";

    /// <summary>Where the identity service's key set is fetched from.</summary>
    public Uri? JwksUrl { get; init; }

    /// <summary>What a 401 tells the client to authenticate against.</summary>
    public string? WwwAuthenticateUri { get; init; }

    /// <summary>When set, a token's <c>iss</c> must equal it.</summary>
    public string? Issuer { get; init; }

    /// <summary>The least time between two fetches caused by unknown key ids.</summary>
    public TimeSpan JwksRefetchInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the key set is fetched anyway, to pick up rotated keys.</summary>
    public TimeSpan JwksRefreshInterval { get; init; } = TimeSpan.FromMinutes(5);

    public TimeSpan HttpTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Tolerated disagreement between our clock and the issuer's.</summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How many verified tokens are remembered, so a repeat skips the signature check; 0 turns that off.</summary>
    public int TokenCacheSize { get; init; } = 10_000;

    /// <summary>
    /// How long a verified token is remembered before its signature is checked again, so a key
    /// withdrawn from the published set stops working for cached tokens too (keystonemiddleware's name).
    /// </summary>
    public TimeSpan TokenCacheTime { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// A service token holding one of these roles lets an expired user token through (within
    /// <see cref="AllowExpiredWindow"/>), so work a service started for a user can finish after
    /// the user's token expires, as keystonemiddleware's <c>service_token_roles</c> does.
    /// </summary>
    public IReadOnlyList<string> ServiceTokenRoles { get; init; } = ["service"];

    /// <summary>How long past its expiry a user token may still be used beside a service token (keystone's <c>allow_expired_window</c>).</summary>
    public TimeSpan AllowExpiredWindow { get; init; } = TimeSpan.FromHours(48);

    public static AuthTokenSettings FromConfiguration(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        var authUrl = NullIfEmpty(section["auth_url"]);
        var jwks = NullIfEmpty(section["jwks_url"]) ?? (authUrl is null ? null : DefaultJwksUrl(authUrl));
        var defaults = new AuthTokenSettings();
        return new AuthTokenSettings
        {
            JwksUrl = jwks is null ? null : new Uri(jwks, UriKind.Absolute),
            WwwAuthenticateUri = NullIfEmpty(section["www_authenticate_uri"]) ?? authUrl,
            Issuer = NullIfEmpty(section["issuer"]),
            JwksRefetchInterval = Seconds(section, "jwks_refetch_interval", defaults.JwksRefetchInterval),
            JwksRefreshInterval = Seconds(section, "jwks_refresh_interval", defaults.JwksRefreshInterval),
            HttpTimeout = Seconds(section, "http_connect_timeout", defaults.HttpTimeout),
            ClockSkew = Seconds(section, "clock_skew", defaults.ClockSkew),
            TokenCacheSize = Count(section, "token_cache_size", defaults.TokenCacheSize),
            TokenCacheTime = Seconds(section, "token_cache_time", defaults.TokenCacheTime),
            ServiceTokenRoles = NullIfEmpty(section["service_token_roles"]) is { } roles
                ? [.. roles.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)]
                : defaults.ServiceTokenRoles,
            AllowExpiredWindow = Seconds(section, "allow_expired_window", defaults.AllowExpiredWindow),
        };
    }

    // auth_url is written both with and without the version (http://keystone:5000[/v3]).
    private static string DefaultJwksUrl(string authUrl)
    {
        var root = authUrl.TrimEnd('/');
        if (root.EndsWith("/v3", StringComparison.Ordinal)) root = root[..^3];
        return root + "/v3/auth/jwks";
    }

    private static TimeSpan Seconds(IConfigurationSection section, string key, TimeSpan fallback)
    {
        var text = section[key];
        if (string.IsNullOrWhiteSpace(text)) return fallback;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || seconds < 0)
            throw new FormatException($"{Section}:{key} must be a number of seconds, not '{text}'");
        return TimeSpan.FromSeconds(seconds);
    }

    private static int Count(IConfigurationSection section, string key, int fallback)
    {
        var text = section[key];
        if (string.IsNullOrWhiteSpace(text)) return fallback;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var count) || count < 0)
            throw new FormatException($"{Section}:{key} must be a whole number, not '{text}'");
        return count;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
