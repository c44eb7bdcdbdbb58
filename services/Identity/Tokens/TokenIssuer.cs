using Identity.Keys;
using Platform.Auth;

namespace Identity.Tokens;

/// <summary>Signs with the repository's primary key, reusing one signer for as long as that key stays primary.</summary>
public sealed class TokenIssuer(KeyRepository keys) : ITokenIssuer
{
    private TokenSigner? signer;

    public string Issue(TokenPayload payload)
    {
        var primary = keys.Current.Primary
            ?? throw new InvalidOperationException($"key repository {keys.Directory} has no primary key; run `keys setup`");
        var current = Volatile.Read(ref signer);
        if (current is null || current.KeyId != primary.KeyId)
        {
            // Racing threads may each build one after a rotation; any of them is right.
            current = new TokenSigner(primary.PrivateKey, primary.KeyId);
            Volatile.Write(ref signer, current);
        }
        return current.Sign(payload);
    }
}
