using System.Buffers;
using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace Platform.Auth;

/// <summary>
/// A compact JWS (RFC 7515) as the validator reads it without IdentityModel: the protected
/// header's <c>alg</c> and <c>kid</c>, and the payload's claims. The signature is checked by
/// <see cref="VerifyEs256"/> over the exact text of <c>header.payload</c>.
/// </summary>
internal sealed class CompactJws
{
    // IdentityModel's default cap (TokenValidationParameters.DefaultMaximumTokenSizeInBytes),
    // kept so a huge header costs no decoding.
    public const int MaxTokenLength = 250 * 1024;

    // ES256 signatures are r || s, 32 bytes each (IEEE P1363), not DER.
    private const int Es256SignatureLength = 64;

    // Larger inputs go to the array pool; ours are well under this.
    private const int StackLimit = 2048;

    private static readonly (byte[] Name, Claim Id)[] ClaimNames =
    [
        (Utf8(TokenClaims.Subject), Claim.Subject),
        (Utf8(TokenClaims.IssuedAt), Claim.IssuedAt),
        (Utf8(TokenClaims.ExpiresAt), Claim.ExpiresAt),
        (Utf8("nbf"), Claim.NotBefore),
        (Utf8(TokenClaims.Issuer), Claim.Issuer),
        (Utf8(TokenClaims.UserName), Claim.UserName),
        (Utf8(TokenClaims.UserDomainId), Claim.UserDomainId),
        (Utf8(TokenClaims.UserDomainName), Claim.UserDomainName),
        (Utf8(TokenClaims.ProjectId), Claim.ProjectId),
        (Utf8(TokenClaims.ProjectName), Claim.ProjectName),
        (Utf8(TokenClaims.ProjectDomainId), Claim.ProjectDomainId),
        (Utf8(TokenClaims.ProjectDomainName), Claim.ProjectDomainName),
        (Utf8(TokenClaims.DomainId), Claim.DomainId),
        (Utf8(TokenClaims.DomainName), Claim.DomainName),
        (Utf8(TokenClaims.System), Claim.System),
        (Utf8(TokenClaims.Roles), Claim.Roles),
        (Utf8(TokenClaims.RoleIds), Claim.RoleIds),
        (Utf8(TokenClaims.Methods), Claim.Methods),
        (Utf8(TokenClaims.AuditIds), Claim.AuditIds),
    ];

    // Keys handed out as JsonWebKey are converted once per instance, not once per token.
    private static readonly ConditionalWeakTable<JsonWebKey, ECDsa?> JwkKeys = new();

    private enum Claim
    {
        Unknown, Subject, IssuedAt, ExpiresAt, NotBefore, Issuer, UserName, UserDomainId, UserDomainName,
        ProjectId, ProjectName, ProjectDomainId, ProjectDomainName, DomainId, DomainName, System,
        Roles, RoleIds, Methods, AuditIds,
    }

    private CompactJws(string token, int headerEnd, int payloadEnd, string algorithm, string? keyId)
    {
        Token = token;
        HeaderEnd = headerEnd;
        PayloadEnd = payloadEnd;
        Algorithm = algorithm;
        KeyId = keyId;
    }

    public string Token { get; }
    private int HeaderEnd { get; }
    private int PayloadEnd { get; }

    /// <summary>The header's <c>alg</c>; empty when it has none.</summary>
    public string Algorithm { get; }

    public string? KeyId { get; }

    public string? Subject { get; private set; }
    public string? Issuer { get; private set; }
    public long? IssuedAt { get; private set; }
    public long? ExpiresAt { get; private set; }
    public long? NotBefore { get; private set; }

    /// <summary>A time claim that is there but not a whole number of seconds in range.</summary>
    public bool HasBadTime { get; private set; }

    private string? userName, userDomainId, userDomainName, projectId, projectName, projectDomainId, projectDomainName;
    private string? domainId, domainName, system;
    private string[] roles = [], roleIds = [], methods = [], auditIds = [];

    /// <summary>
    /// Splits a token and reads its header; null when it is not three dot-separated parts whose
    /// first is a base64url JSON object. The payload is left alone until the signature is checked.
    /// </summary>
    public static CompactJws? Parse(string? token, ClaimStringPool strings)
    {
        if (string.IsNullOrEmpty(token) || token.Length > MaxTokenLength) return null;
        var headerEnd = token.IndexOf('.');
        if (headerEnd <= 0) return null;
        var payloadEnd = token.IndexOf('.', headerEnd + 1);
        // Exactly three parts: five would be a JWE, which we never issue.
        if (payloadEnd <= headerEnd + 1 || token.IndexOf('.', payloadEnd + 1) >= 0) return null;

        return TryReadHeader(token.AsSpan(0, headerEnd), strings, out var alg, out var kid)
            ? new CompactJws(token, headerEnd, payloadEnd, alg ?? "", kid)
            : null;
    }

    /// <summary>
    /// Reads the payload's claims; false when it is not a base64url JSON object. Called once the
    /// signature is known to be good, so only what the issuer wrote is parsed and pooled.
    /// </summary>
    public bool ReadClaims(ClaimStringPool strings) =>
        TryReadPayload(Token.AsSpan(HeaderEnd + 1, PayloadEnd - HeaderEnd - 1), strings);

    /// <summary>The P-256 key to check an ES256 signature with, or null when the key is of another kind.</summary>
    public static ECDsa? Es256KeyOf(SecurityKey key) => key switch
    {
        ECDsaSecurityKey { ECDsa: { KeySize: 256 } ecdsa } => ecdsa,
        JsonWebKey jwk => JwkKeys.GetValue(jwk, FromJsonWebKey),
        _ => null,
    };

    /// <summary>ECDSA P-256 / SHA-256 over the ASCII bytes of <c>header.payload</c>.</summary>
    public bool VerifyEs256(ECDsa key)
    {
        Span<byte> signature = stackalloc byte[Es256SignatureLength];
        if (Base64Url.DecodeFromChars(Token.AsSpan(PayloadEnd + 1), signature, out _, out var written) != OperationStatus.Done
            || written != Es256SignatureLength)
            return false;

        var text = Token.AsSpan(0, PayloadEnd);
        byte[]? rented = null;
        var input = text.Length <= StackLimit ? stackalloc byte[text.Length] : (rented = ArrayPool<byte>.Shared.Rent(text.Length));
        try
        {
            // Both parts decoded as base64url, so this only fails on text the signer never made.
            if (Ascii.FromUtf16(text, input, out var length) != OperationStatus.Done) return false;
            return key.VerifyData(input[..length], signature, HashAlgorithmName.SHA256);
        }
        catch (CryptographicException)
        {
            return false;
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>The claims as a validated token; null when the subject, issue time or expiry is missing.</summary>
    public ValidatedToken? ToValidatedToken()
    {
        if (Subject is not { Length: > 0 } || IssuedAt is not { } iat || ExpiresAt is not { } exp || KeyId is null) return null;
        return new ValidatedToken
        {
            KeyId = KeyId,
            UserId = Subject,
            UserName = userName,
            UserDomainId = userDomainId,
            UserDomainName = userDomainName,
            ProjectId = projectId,
            ProjectName = projectName,
            ProjectDomainId = projectDomainId,
            ProjectDomainName = projectDomainName,
            DomainId = domainId,
            DomainName = domainName,
            SystemScope = system,
            Roles = roles,
            RoleIds = roleIds,
            Methods = methods,
            AuditIds = auditIds,
            IssuedAt = DateTimeOffset.FromUnixTimeSeconds(iat),
            ExpiresAt = DateTimeOffset.FromUnixTimeSeconds(exp),
            Issuer = Issuer,
        };
    }

    private static bool TryReadHeader(ReadOnlySpan<char> encoded, ClaimStringPool strings, out string? alg, out string? kid)
    {
        alg = kid = null;
        byte[]? rented = null;
        var max = Base64Url.GetMaxDecodedLength(encoded.Length);
        var json = max <= StackLimit ? stackalloc byte[max] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            if (Base64Url.DecodeFromChars(encoded, json, out _, out var written) != OperationStatus.Done) return false;
            var reader = new Utf8JsonReader(json[..written]);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
            bool seenAlg = false, seenKid = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                // Two algs or kids would leave it open which one was meant.
                if (reader.ValueTextEquals("alg"u8))
                {
                    if (seenAlg || !reader.Read()) return false;
                    seenAlg = true;
                    // The usual answer costs no string.
                    alg = reader.TokenType != JsonTokenType.String ? null
                        : reader.ValueTextEquals("ES256"u8) ? TokenClaims.Algorithm : reader.GetString();
                    if (alg is null) reader.Skip();
                }
                else if (reader.ValueTextEquals("kid"u8))
                {
                    if (seenKid || !reader.Read()) return false;
                    seenKid = true;
                    kid = reader.TokenType == JsonTokenType.String ? strings.Read(ref reader) : null;
                    if (kid is null) reader.Skip();
                }
                else if (reader.ValueTextEquals("crit"u8))
                {
                    // RFC 7515 4.1.11: extensions we do not understand must be refused; we know none.
                    return false;
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            return reader.TokenType == JsonTokenType.EndObject && !reader.Read();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // JsonException: not JSON; InvalidOperationException: a string that is not UTF-8.
            return false;
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private bool TryReadPayload(ReadOnlySpan<char> encoded, ClaimStringPool strings)
    {
        byte[]? rented = null;
        var max = Base64Url.GetMaxDecodedLength(encoded.Length);
        var json = max <= StackLimit ? stackalloc byte[max] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            if (Base64Url.DecodeFromChars(encoded, json, out _, out var written) != OperationStatus.Done) return false;
            json = json[..written];
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var claim = Identify(ref reader);
                if (!reader.Read()) return false;
                // A repeated claim overwrites the earlier one, as JsonElement.TryGetProperty did.
                switch (claim)
                {
                    case Claim.Subject: Subject = Text(ref reader, strings); break;
                    case Claim.Issuer: Issuer = Text(ref reader, strings); break;
                    case Claim.UserName: userName = Text(ref reader, strings); break;
                    case Claim.UserDomainId: userDomainId = Text(ref reader, strings); break;
                    case Claim.UserDomainName: userDomainName = Text(ref reader, strings); break;
                    case Claim.ProjectId: projectId = Text(ref reader, strings); break;
                    case Claim.ProjectName: projectName = Text(ref reader, strings); break;
                    case Claim.ProjectDomainId: projectDomainId = Text(ref reader, strings); break;
                    case Claim.ProjectDomainName: projectDomainName = Text(ref reader, strings); break;
                    case Claim.DomainId: domainId = Text(ref reader, strings); break;
                    case Claim.DomainName: domainName = Text(ref reader, strings); break;
                    case Claim.System: system = Text(ref reader, strings); break;
                    case Claim.Roles: roles = List(ref reader, json, strings); break;
                    case Claim.RoleIds: roleIds = List(ref reader, json, strings); break;
                    case Claim.Methods: methods = List(ref reader, json, strings); break;
                    case Claim.AuditIds: auditIds = List(ref reader, json, null); break;
                    case Claim.IssuedAt: IssuedAt = Seconds(ref reader); break;
                    case Claim.ExpiresAt: ExpiresAt = Seconds(ref reader); break;
                    case Claim.NotBefore: NotBefore = Seconds(ref reader); break;
                    default: reader.Skip(); break;
                }
            }
            return reader.TokenType == JsonTokenType.EndObject && !reader.Read();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return false;
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static Claim Identify(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped) return Lookup(reader.ValueSpan);
        // Unescaped is never longer than escaped; a name this long is none of ours.
        Span<byte> unescaped = stackalloc byte[64];
        if (reader.ValueSpan.Length > unescaped.Length) return Claim.Unknown;
        return Lookup(unescaped[..reader.CopyString(unescaped)]);
    }

    private static Claim Lookup(ReadOnlySpan<byte> name)
    {
        foreach (var (known, id) in ClaimNames)
            if (known.Length == name.Length && name.SequenceEqual(known)) return id;
        return Claim.Unknown;
    }

    // Only strings count; any other value reads as absent, as before.
    private static string? Text(ref Utf8JsonReader reader, ClaimStringPool? strings)
    {
        if (reader.TokenType == JsonTokenType.String) return strings is null ? reader.GetString() : strings.Read(ref reader);
        reader.Skip();
        return null;
    }

    // An array's strings (other elements skipped), a lone string as a list of one, else empty.
    // With a pool, an array whose JSON text was seen before comes back as the same instance.
    private static string[] List(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, ClaimStringPool? strings)
    {
        if (reader.TokenType == JsonTokenType.String) return [Text(ref reader, strings)!];
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return [];
        }
        // A first pass on a copy of the reader counts the strings and finds where the array ends.
        var start = (int)reader.TokenStartIndex;
        var count = 0;
        var ahead = reader;
        while (ahead.Read() && ahead.TokenType != JsonTokenType.EndArray)
        {
            if (ahead.TokenType == JsonTokenType.String) count++;
            else ahead.Skip();
        }
        var text = json[start..(int)ahead.BytesConsumed];
        if (strings is not null && strings.TryGetList(text, out var pooled))
        {
            reader = ahead;
            return pooled;
        }
        string[] items = count == 0 ? [] : new string[count];
        var i = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.String) items[i++] = Text(ref reader, strings)!;
            else reader.Skip();
        }
        strings?.AddList(text, items);
        return items;
    }

    // NumericDate as whole seconds within DateTimeOffset's range; anything else marks the token bad.
    private long? Seconds(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value)
            && value >= DateTimeOffset.MinValue.ToUnixTimeSeconds() && value <= DateTimeOffset.MaxValue.ToUnixTimeSeconds())
            return value;
        reader.Skip();
        HasBadTime = true;
        return null;
    }

    private static ECDsa? FromJsonWebKey(JsonWebKey jwk)
    {
        if (jwk.Kty != JsonWebAlgorithmsKeyTypes.EllipticCurve || jwk.Crv != JsonWebKeyECTypes.P256) return null;
        if (!string.IsNullOrEmpty(jwk.Alg) && jwk.Alg != TokenClaims.Algorithm) return null;
        if (!string.IsNullOrEmpty(jwk.Use) && jwk.Use != JsonWebKeyUseNames.Sig) return null;
        if (Decode(jwk.X) is not { Length: 32 } x || Decode(jwk.Y) is not { Length: 32 } y) return null;
        try
        {
            return ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = x, Y = y } });
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private static byte[]? Decode(string? value)
    {
        if (value is null) return null;
        try { return Base64Url.DecodeFromChars(value); }
        catch (FormatException) { return null; }
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
