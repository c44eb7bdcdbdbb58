using System.Buffers.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Platform.Auth;

/// <summary>
/// Validates identity tokens locally: ES256 signature by a published key, lifetime (with a
/// small clock skew), optionally the issuer, then the revocation list. A token that passed is
/// remembered for <see cref="AuthTokenSettings.TokenCacheTime"/>, so its repeats skip the key
/// lookup and the signature check; lifetime and revocation are still checked on every call.
/// </summary>
public sealed class TokenValidator(ISigningKeyProvider keys, ITokenRevocationList revocations, AuthTokenSettings settings, TimeProvider time)
{
    private static readonly Task<TokenValidationOutcome> ExpiredTask =
        Task.FromResult(TokenValidationOutcome.Refused(TokenFailure.Expired, "token has expired"));
    private static readonly Task<TokenValidationOutcome> RevokedTask =
        Task.FromResult(TokenValidationOutcome.Refused(TokenFailure.Revoked, "token has been revoked"));

    private readonly JsonWebTokenHandler handler = new();
    private readonly ValidatedTokenCache cache = new(settings.TokenCacheSize);

    /// <summary>How many verified tokens are cached now.</summary>
    public int CachedTokenCount => cache.Count;

    public Task<TokenValidationOutcome> ValidateAsync(string token, CancellationToken cancellationToken = default)
    {
        if (cache.TryGet(token, out var hit))
        {
            var now = time.GetUtcNow();
            if (hit.Token.ExpiresAt + settings.ClockSkew < now)
            {
                cache.Remove(token);
                return ExpiredTask;
            }
            // Checked on every hit, so a revocation applies at once to cached tokens too.
            if (revocations.IsRevoked(hit.Token)) return RevokedTask;
            if (now < hit.VerifyAgainAt) return hit.Outcome;
            cache.Remove(token);
        }
        return ValidateUncachedAsync(token, cancellationToken);
    }

    private async Task<TokenValidationOutcome> ValidateUncachedAsync(string token, CancellationToken cancellationToken)
    {
        JsonWebToken jwt;
        try
        {
            jwt = new JsonWebToken(token);
        }
        catch (ArgumentException)
        {
            // SecurityTokenMalformedException derives from ArgumentException.
            return TokenValidationOutcome.Refused(TokenFailure.Malformed, "not a well-formed token");
        }
        if (jwt.Alg != TokenClaims.Algorithm)
            return TokenValidationOutcome.Refused(TokenFailure.Malformed, $"algorithm '{jwt.Alg}' is not accepted");
        if (string.IsNullOrEmpty(jwt.Kid))
            return TokenValidationOutcome.Refused(TokenFailure.Malformed, "token names no key id");

        SecurityKey? key;
        try
        {
            key = await keys.FindKeyAsync(jwt.Kid, cancellationToken);
        }
        catch (SigningKeysUnavailableException e)
        {
            return TokenValidationOutcome.Refused(TokenFailure.KeysUnavailable, e.Message);
        }
        if (key is null)
            return TokenValidationOutcome.Refused(TokenFailure.UnknownKey, $"token signed with unknown key '{jwt.Kid}'");

        var result = await handler.ValidateTokenAsync(jwt, new TokenValidationParameters
        {
            IssuerSigningKey = key,
            TryAllIssuerSigningKeys = false,
            ValidAlgorithms = [TokenClaims.Algorithm],
            RequireSignedTokens = true,
            // Lifetime is checked below against our TimeProvider, which the handler cannot use.
            ValidateLifetime = false,
            ValidateAudience = false,
            ValidateIssuer = settings.Issuer is not null,
            ValidIssuer = settings.Issuer,
            ValidateIssuerSigningKey = false,
            LogValidationExceptions = false,
        });
        if (!result.IsValid)
            return Refusal(result.Exception);

        var validated = Read(jwt);
        if (validated is null)
            return TokenValidationOutcome.Refused(TokenFailure.Malformed, "token lacks its subject, issue time or expiry");
        var now = time.GetUtcNow();
        if (validated.ExpiresAt + settings.ClockSkew < now)
            return TokenValidationOutcome.Refused(TokenFailure.Expired, "token has expired");
        if (validated.IssuedAt - settings.ClockSkew > now)
            return TokenValidationOutcome.Refused(TokenFailure.Invalid, "token is not valid yet");
        if (revocations.IsRevoked(validated))
            return TokenValidationOutcome.Refused(TokenFailure.Revoked, "token has been revoked");

        // Only successes are cached: a refusal may be for a key not fetched yet.
        var outcome = TokenValidationOutcome.Valid(validated);
        cache.Add(token, new CachedToken(validated, Task.FromResult(outcome), now + settings.TokenCacheTime), now);
        return outcome;
    }

    private static TokenValidationOutcome Refusal(Exception? e) => e switch
    {
        SecurityTokenInvalidSignatureException or SecurityTokenSignatureKeyNotFoundException =>
            TokenValidationOutcome.Refused(TokenFailure.BadSignature, "token signature is not valid"),
        SecurityTokenInvalidIssuerException => TokenValidationOutcome.Refused(TokenFailure.Invalid, "token is from another issuer"),
        SecurityTokenMalformedException or ArgumentException => TokenValidationOutcome.Refused(TokenFailure.Malformed, "not a well-formed token"),
        _ => TokenValidationOutcome.Refused(TokenFailure.Invalid, "token is not valid"),
    };

    // Read from the payload JSON itself: the claims are ours and their shapes are known.
    private static ValidatedToken? Read(JsonWebToken jwt)
    {
        using var doc = JsonDocument.Parse(Base64Url.DecodeFromChars(jwt.EncodedPayload));
        var p = doc.RootElement;
        if (Text(p, TokenClaims.Subject) is not { Length: > 0 } subject) return null;
        if (!p.TryGetProperty(TokenClaims.IssuedAt, out var iat) || !iat.TryGetInt64(out var issuedAt)) return null;
        if (!p.TryGetProperty(TokenClaims.ExpiresAt, out var exp) || !exp.TryGetInt64(out var expiresAt)) return null;
        return new ValidatedToken
        {
            KeyId = jwt.Kid,
            UserId = subject,
            UserName = Text(p, TokenClaims.UserName),
            UserDomainId = Text(p, TokenClaims.UserDomainId),
            UserDomainName = Text(p, TokenClaims.UserDomainName),
            ProjectId = Text(p, TokenClaims.ProjectId),
            ProjectName = Text(p, TokenClaims.ProjectName),
            ProjectDomainId = Text(p, TokenClaims.ProjectDomainId),
            ProjectDomainName = Text(p, TokenClaims.ProjectDomainName),
            DomainId = Text(p, TokenClaims.DomainId),
            DomainName = Text(p, TokenClaims.DomainName),
            SystemScope = Text(p, TokenClaims.System),
            Roles = List(p, TokenClaims.Roles),
            RoleIds = List(p, TokenClaims.RoleIds),
            Methods = List(p, TokenClaims.Methods),
            AuditIds = List(p, TokenClaims.AuditIds),
            IssuedAt = DateTimeOffset.FromUnixTimeSeconds(issuedAt),
            ExpiresAt = DateTimeOffset.FromUnixTimeSeconds(expiresAt),
            Issuer = Text(p, TokenClaims.Issuer),
        };
    }

    private static string? Text(JsonElement payload, string name) =>
        payload.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string[] List(JsonElement payload, string name)
    {
        if (!payload.TryGetProperty(name, out var v)) return [];
        if (v.ValueKind == JsonValueKind.String) return [v.GetString()!];
        if (v.ValueKind != JsonValueKind.Array) return [];
        return v.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToArray();
    }
}
