using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Identity.Keys;

/// <summary>RFC 7638 JWK thumbprints of P-256 keys: the key id every instance derives alike.</summary>
public static class JwkThumbprint
{
    public static string Of(ECDsa key)
    {
        var q = key.ExportParameters(includePrivateParameters: false).Q;
        // The required members only, in lexicographic order, without whitespace (RFC 7638 section 3.2).
        var json = $"{{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"{Base64Url.EncodeToString(q.X)}\",\"y\":\"{Base64Url.EncodeToString(q.Y)}\"}}";
        return Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(json)));
    }
}
