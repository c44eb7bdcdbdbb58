using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace Identity.Keys;

public enum KeyRole
{
    /// <summary><c>0.pem</c>: published before it signs, so every instance knows it once it does.</summary>
    Staged,

    /// <summary>The highest index: signs new tokens.</summary>
    Primary,

    /// <summary>A former primary: validates the tokens it signed until they have expired.</summary>
    Secondary,
}

/// <summary>One key pair of the repository, as loaded from <c>N.pem</c>.</summary>
public sealed class SigningKey
{
    public SigningKey(int index, KeyRole role, ECDsa privateKey, DateTimeOffset? retiredAt)
    {
        Index = index;
        Role = role;
        PrivateKey = privateKey;
        RetiredAt = retiredAt;
        KeyId = JwkThumbprint.Of(privateKey);
        // A public-only copy, so what validation holds cannot sign.
        PublicKey = ECDsa.Create(privateKey.ExportParameters(includePrivateParameters: false));
        SecurityKey = new ECDsaSecurityKey(PublicKey) { KeyId = KeyId };
    }

    public int Index { get; }
    public KeyRole Role { get; }

    /// <summary>RFC 7638 thumbprint of the public key.</summary>
    public string KeyId { get; }

    public ECDsa PrivateKey { get; }
    public ECDsa PublicKey { get; }
    public ECDsaSecurityKey SecurityKey { get; }

    /// <summary>When it stopped being primary; secondaries only.</summary>
    public DateTimeOffset? RetiredAt { get; }
}
