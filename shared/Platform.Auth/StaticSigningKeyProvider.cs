using Microsoft.IdentityModel.Tokens;

namespace Platform.Auth;

/// <summary>A fixed set of keys: for the identity service's own tokens, and for tests.</summary>
public sealed class StaticSigningKeyProvider(IReadOnlyDictionary<string, SecurityKey> keys) : ISigningKeyProvider
{
    public ValueTask<SecurityKey?> FindKeyAsync(string keyId, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(keys.GetValueOrDefault(keyId));
}
