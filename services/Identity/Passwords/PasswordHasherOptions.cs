using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Identity.Passwords;

/// <summary>The cost of the password hash and the longest password accepted.</summary>
public sealed record PasswordHasherOptions
{
    /// <summary><c>identity:password_hash_rounds</c>.</summary>
    public int Rounds { get; init; } = 100_000;

    /// <summary><c>identity:max_password_length</c>, keystone's default: it bounds the work one request can ask for.</summary>
    public int MaxPasswordLength { get; init; } = 4096;

    public static PasswordHasherOptions FromConfiguration(IConfiguration configuration)
    {
        var defaults = new PasswordHasherOptions();
        return new PasswordHasherOptions
        {
            Rounds = Positive(configuration, "identity:password_hash_rounds", defaults.Rounds),
            MaxPasswordLength = Positive(configuration, "identity:max_password_length", defaults.MaxPasswordLength),
        };
    }

    private static int Positive(IConfiguration configuration, string key, int fallback)
    {
        var text = configuration[key];
        if (string.IsNullOrWhiteSpace(text)) return fallback;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value <= 0)
            throw new FormatException($"{key} must be a positive whole number, not '{text}'");
        return value;
    }
}
