using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Identity.Keys;

/// <summary>Where the signing keys live and how long a retired key must outlive its tokens.</summary>
public sealed record KeyRepositoryOptions
{
    public const string DefaultDirectory = "/etc/platform/identity-keys";

    /// <summary><c>token:key_repository</c>, as keystone's <c>fernet_tokens:key_repository</c>.</summary>
    public string Directory { get; init; } = DefaultDirectory;

    /// <summary><c>token:expiration</c>: the longest a token lives, so the longest a retired key must stay.</summary>
    public TimeSpan TokenExpiration { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Kept on top of the expiration before a retired key is removed: covers clock skew and
    /// instances that have not yet reloaded and still sign with it.
    /// </summary>
    public TimeSpan RetirementMargin { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The least time between two looks at the directory for changes.</summary>
    public TimeSpan ReloadInterval { get; init; } = TimeSpan.FromSeconds(5);

    public static KeyRepositoryOptions FromConfiguration(IConfiguration configuration)
    {
        var directory = configuration["token:key_repository"];
        var expiration = configuration["token:expiration"];
        var options = new KeyRepositoryOptions();
        if (!string.IsNullOrWhiteSpace(directory)) options = options with { Directory = directory.Trim() };
        if (!string.IsNullOrWhiteSpace(expiration))
        {
            if (!int.TryParse(expiration, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds) || seconds <= 0)
                throw new FormatException($"token:expiration must be a positive number of seconds, not '{expiration}'");
            options = options with { TokenExpiration = TimeSpan.FromSeconds(seconds) };
        }
        return options;
    }
}
