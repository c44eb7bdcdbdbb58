namespace Identity.Passwords;

/// <summary>A salted, deliberately slow password hash whose cost is configurable.</summary>
public interface IPasswordHasher
{
    string Hash(string password);

    /// <summary>Constant-time check of <paramref name="password"/> against a stored hash.</summary>
    bool Verify(string password, string hash);

    /// <summary>True when the hash was made at another cost than the configured one.</summary>
    bool NeedsRehash(string hash);
}
