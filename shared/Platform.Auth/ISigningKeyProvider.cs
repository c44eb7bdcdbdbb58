using Microsoft.IdentityModel.Tokens;

namespace Platform.Auth;

/// <summary>Finds the public key a token names in its <c>kid</c> header.</summary>
public interface ISigningKeyProvider
{
    /// <summary>The key, or null when no key of that id is known.</summary>
    /// <exception cref="SigningKeysUnavailableException">The keys could not be fetched at all.</exception>
    ValueTask<SecurityKey?> FindKeyAsync(string keyId, CancellationToken cancellationToken = default);
}

/// <summary>The key set could not be fetched, so no token can be judged either way.</summary>
public sealed class SigningKeysUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
