using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Identity.Passwords;

/// <summary>
/// PBKDF2-HMAC-SHA512 with a 16-byte random salt and a 64-byte hash, stored as
/// <c>$pbkdf2-sha512$&lt;rounds&gt;$&lt;salt base64&gt;$&lt;hash base64&gt;</c> so the cost travels with the hash
/// and can be raised later (<see cref="NeedsRehash"/>). Passwords are never logged.
/// </summary>
public sealed class Pbkdf2PasswordHasher(PasswordHasherOptions options) : IPasswordHasher
{
    public const string Prefix = "$pbkdf2-sha512$";
    private const int SaltBytes = 16;
    private const int HashBytes = 64;

    /// <exception cref="ArgumentException">The password is longer than the configured maximum.</exception>
    public string Hash(string password)
    {
        CheckLength(password);
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Derive(password, salt, options.Rounds);
        return string.Create(CultureInfo.InvariantCulture, $"{Prefix}{options.Rounds}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}");
    }

    /// <summary>False for a wrong password and for a stored value that is not a hash of this kind.</summary>
    /// <exception cref="ArgumentException">The password is longer than the configured maximum.</exception>
    public bool Verify(string password, string hash)
    {
        CheckLength(password);
        if (!TryParse(hash, out var rounds, out var salt, out var expected)) return false;
        return CryptographicOperations.FixedTimeEquals(Derive(password, salt, rounds), expected);
    }

    public bool NeedsRehash(string hash) => !TryParse(hash, out var rounds, out _, out _) || rounds != options.Rounds;

    private void CheckLength(string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        // The message names the limit, never the password.
        if (password.Length > options.MaxPasswordLength)
            throw new ArgumentException($"a password may be at most {options.MaxPasswordLength} characters long", nameof(password));
    }

    private static byte[] Derive(string password, byte[] salt, int rounds)
    {
        var bytes = Encoding.UTF8.GetBytes(password);
        try
        {
            return Rfc2898DeriveBytes.Pbkdf2(bytes, salt, rounds, HashAlgorithmName.SHA512, HashBytes);
        }
        finally
        {
            // The string cannot be wiped, but this copy can.
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    private static bool TryParse(string stored, out int rounds, out byte[] salt, out byte[] hash)
    {
        rounds = 0;
        salt = hash = [];
        if (stored is null || !stored.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        var parts = stored[Prefix.Length..].Split('$');
        if (parts.Length != 3) return false;
        if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out rounds) || rounds <= 0) return false;
        try
        {
            salt = Convert.FromBase64String(parts[1]);
            hash = Convert.FromBase64String(parts[2]);
        }
        catch (FormatException)
        {
            return false;
        }
        return salt.Length > 0 && hash.Length == HashBytes;
    }
}
