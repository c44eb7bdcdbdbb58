using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;

namespace Platform.Auth;

/// <summary>
/// The JSON Web Key Set (RFC 7517) the identity service publishes its public keys in:
/// <c>{"keys":[{"kty":"EC","crv":"P-256","x":"…","y":"…","kid":"…","use":"sig","alg":"ES256"}]}</c>.
/// </summary>
public static class Jwks
{
    /// <summary>The public halves of <paramref name="keys"/> as a key set document.</summary>
    public static string Serialize(IEnumerable<(string KeyId, ECDsa Key)> keys)
    {
        var array = new JsonArray();
        foreach (var (keyId, key) in keys)
        {
            var p = key.ExportParameters(includePrivateParameters: false);
            array.Add(new JsonObject
            {
                ["kty"] = "EC",
                ["crv"] = "P-256",
                ["use"] = "sig",
                ["alg"] = TokenClaims.Algorithm,
                ["kid"] = keyId,
                ["x"] = Base64Url.EncodeToString(p.Q.X),
                ["y"] = Base64Url.EncodeToString(p.Q.Y),
            });
        }
        return new JsonObject { ["keys"] = array }.ToJsonString();
    }

    /// <summary>
    /// The usable signing keys of a key set by kid. Keys of other types, curves or uses are
    /// skipped rather than failing the set, so identity can publish more kinds later.
    /// </summary>
    public static IReadOnlyDictionary<string, SecurityKey> Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        if (!doc.RootElement.TryGetProperty("keys", out var keys) || keys.ValueKind != JsonValueKind.Array)
            throw new FormatException("a JSON Web Key Set needs a \"keys\" array");

        var result = new Dictionary<string, SecurityKey>(StringComparer.Ordinal);
        foreach (var jwk in keys.EnumerateArray())
        {
            if (jwk.ValueKind != JsonValueKind.Object) continue;
            if (Text(jwk, "kty") != "EC" || Text(jwk, "crv") != "P-256") continue;
            if (Text(jwk, "use") is { } use && use != "sig") continue;
            if (Text(jwk, "alg") is { } alg && alg != TokenClaims.Algorithm) continue;
            if (Text(jwk, "kid") is not { Length: > 0 } kid) continue;
            if (Decode(Text(jwk, "x")) is not { Length: 32 } x || Decode(Text(jwk, "y")) is not { Length: 32 } y) continue;
            try
            {
                var ecdsa = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = x, Y = y } });
                result[kid] = new ECDsaSecurityKey(ecdsa) { KeyId = kid };
            }
            catch (CryptographicException)
            {
                // A point not on the curve: ignore that key, keep the others.
            }
        }
        return result;
    }

    private static string? Text(JsonElement jwk, string name) =>
        jwk.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static byte[]? Decode(string? value)
    {
        if (value is null) return null;
        try { return Base64Url.DecodeFromChars(value); }
        catch (FormatException) { return null; }
    }
}
