using Microsoft.IdentityModel.Tokens;
using Platform.Auth;

namespace Identity.Keys;

/// <summary>
/// Token validation inside identity: every key of the repository, the staged one included,
/// since another instance sharing the directory may already have promoted it and signed with it.
/// </summary>
public sealed class RepositorySigningKeyProvider(KeyRepository repository) : ISigningKeyProvider
{
    public ValueTask<SecurityKey?> FindKeyAsync(string keyId, CancellationToken cancellationToken = default)
    {
        var keys = repository.Current;
        if (keys.Keys.Count == 0)
            throw new SigningKeysUnavailableException($"key repository {repository.Directory} has no keys; run `keys setup`");
        return ValueTask.FromResult<SecurityKey?>(keys.Find(keyId)?.SecurityKey);
    }
}
