using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Platform.Auth;

/// <summary>
/// Validates identity tokens locally: ES256 signature by a published key, lifetime (with a
/// small clock skew), optionally the issuer, then the revocation list. A token that passed is
/// remembered for <see cref="AuthTokenSettings.TokenCacheTime"/>, so its repeats skip the key
/// lookup and the signature check; lifetime and revocation are still checked on every call.
/// </summary>
/// <remarks>
/// A first-seen token is read by <see cref="CompactJws"/> and its signature checked with
/// <see cref="ECDsa.VerifyData(ReadOnlySpan{byte}, ReadOnlySpan{byte}, HashAlgorithmName)"/>
/// directly, so almost all of its cost is the ECDSA verify itself. A key that is not P-256 goes
/// through <see cref="JsonWebTokenHandler"/> instead, which decides what it can verify.
/// </remarks>
public sealed class TokenValidator(ISigningKeyProvider keys, ITokenRevocationList revocations, AuthTokenSettings settings, TimeProvider time)
{
    private static readonly Task<TokenValidationOutcome> ExpiredTask =
        Task.FromResult(TokenValidationOutcome.Refused(TokenFailure.Expired, "token has expired"));
    private static readonly Task<TokenValidationOutcome> RevokedTask =
        Task.FromResult(TokenValidationOutcome.Refused(TokenFailure.Revoked, "token has been revoked"));
    private static readonly Task<TokenValidationOutcome> MalformedTask =
        Task.FromResult(TokenValidationOutcome.Refused(TokenFailure.Malformed, "not a well-formed token"));
    private static readonly Task<TokenValidationOutcome> NoKeyIdTask =
        Task.FromResult(TokenValidationOutcome.Refused(TokenFailure.Malformed, "token names no key id"));
    private static readonly Task<TokenValidationOutcome> BadSignatureTask =
        Task.FromResult(TokenValidationOutcome.Refused(TokenFailure.BadSignature, "token signature is not valid"));

    private readonly JsonWebTokenHandler handler = new();
    private readonly ValidatedTokenCache cache = new(settings.TokenCacheSize);
    private readonly ClaimStringPool claimStrings = new();

    /// <summary>How many verified tokens are cached now.</summary>
    public int CachedTokenCount => cache.Count;

    public Task<TokenValidationOutcome> ValidateAsync(string token, CancellationToken cancellationToken = default) =>
        ValidateAsync(token, allowExpired: false, cancellationToken);

    /// <summary>
    /// As <see cref="ValidateAsync(string, CancellationToken)"/>; with <paramref name="allowExpired"/>
    /// a token up to <see cref="AuthTokenSettings.AllowExpiredWindow"/> past its expiry still passes
    /// (the caller has checked a service token that allows it). Revocation applies as ever.
    /// </summary>
    public Task<TokenValidationOutcome> ValidateAsync(string token, bool allowExpired, CancellationToken cancellationToken = default)
    {
        if (cache.TryGet(token, out var hit))
        {
            var now = time.GetUtcNow();
            if (IsExpired(hit.Token, now, allowExpired))
            {
                if (!allowExpired) cache.Remove(token);
                return ExpiredTask;
            }
            // Checked on every hit, so a revocation applies at once to cached tokens too.
            if (revocations.IsRevoked(hit.Token)) return RevokedTask;
            if (now < hit.VerifyAgainAt) return hit.Outcome;
            cache.Remove(token);
        }
        return ValidateUncached(token, allowExpired, cancellationToken);
    }

    // Synchronous whenever the key provider answers at once, which is the usual case.
    private Task<TokenValidationOutcome> ValidateUncached(string token, bool allowExpired, CancellationToken cancellationToken)
    {
        if (CompactJws.Parse(token, claimStrings) is not { } jws) return MalformedTask;
        if (jws.Algorithm != TokenClaims.Algorithm)
            return Task.FromResult(TokenValidationOutcome.Refused(TokenFailure.Malformed, $"algorithm '{jws.Algorithm}' is not accepted"));
        if (string.IsNullOrEmpty(jws.KeyId)) return NoKeyIdTask;

        ValueTask<SecurityKey?> lookup;
        try
        {
            // Some providers throw before returning a task at all.
            lookup = keys.FindKeyAsync(jws.KeyId, cancellationToken);
        }
        catch (SigningKeysUnavailableException e)
        {
            return Task.FromResult(TokenValidationOutcome.Refused(TokenFailure.KeysUnavailable, e.Message));
        }
        return lookup.IsCompletedSuccessfully ? Verify(jws, lookup.Result, allowExpired) : AwaitKeyAsync(jws, lookup, allowExpired);
    }

    private async Task<TokenValidationOutcome> AwaitKeyAsync(CompactJws jws, ValueTask<SecurityKey?> lookup, bool allowExpired)
    {
        SecurityKey? key;
        try
        {
            key = await lookup;
        }
        catch (SigningKeysUnavailableException e)
        {
            return TokenValidationOutcome.Refused(TokenFailure.KeysUnavailable, e.Message);
        }
        return await Verify(jws, key, allowExpired);
    }

    private Task<TokenValidationOutcome> Verify(CompactJws jws, SecurityKey? key, bool allowExpired)
    {
        if (key is null)
            return Task.FromResult(TokenValidationOutcome.Refused(TokenFailure.UnknownKey, $"token signed with unknown key '{jws.KeyId}'"));
        if (CompactJws.Es256KeyOf(key) is not { } ecdsa) return VerifyWithHandlerAsync(jws, key, allowExpired);
        return jws.VerifyEs256(ecdsa) ? Accept(jws, allowExpired) : BadSignatureTask;
    }

    // Keys that are not P-256 (none today): the library's checks, then the same claim checks.
    private async Task<TokenValidationOutcome> VerifyWithHandlerAsync(CompactJws jws, SecurityKey key, bool allowExpired)
    {
        JsonWebToken jwt;
        try
        {
            jwt = new JsonWebToken(jws.Token);
        }
        catch (ArgumentException)
        {
            // SecurityTokenMalformedException derives from ArgumentException.
            return await MalformedTask;
        }
        var result = await handler.ValidateTokenAsync(jwt, new TokenValidationParameters
        {
            IssuerSigningKey = key,
            TryAllIssuerSigningKeys = false,
            ValidAlgorithms = [TokenClaims.Algorithm],
            RequireSignedTokens = true,
            // Lifetime and issuer are checked in Accept against our TimeProvider and settings.
            ValidateLifetime = false,
            ValidateAudience = false,
            ValidateIssuer = false,
            ValidateIssuerSigningKey = false,
            LogValidationExceptions = false,
        });
        if (!result.IsValid) return Refusal(result.Exception);
        return await Accept(jws, allowExpired);
    }

    private static TokenValidationOutcome Refusal(Exception? e) => e switch
    {
        SecurityTokenInvalidSignatureException or SecurityTokenSignatureKeyNotFoundException =>
            TokenValidationOutcome.Refused(TokenFailure.BadSignature, "token signature is not valid"),
        SecurityTokenMalformedException or ArgumentException => TokenValidationOutcome.Refused(TokenFailure.Malformed, "not a well-formed token"),
        _ => TokenValidationOutcome.Refused(TokenFailure.Invalid, "token is not valid"),
    };

    // The signature is good: now what the token says, in the order the handler used to check it.
    private Task<TokenValidationOutcome> Accept(CompactJws jws, bool allowExpired)
    {
        if (!jws.ReadClaims(claimStrings)) return MalformedTask;
        if (settings.Issuer is not null && !string.Equals(jws.Issuer, settings.Issuer, StringComparison.Ordinal))
            return Task.FromResult(TokenValidationOutcome.Refused(TokenFailure.Invalid, "token is from another issuer"));
        if (jws.HasBadTime || jws.ToValidatedToken() is not { } validated)
            return Task.FromResult(TokenValidationOutcome.Refused(TokenFailure.Malformed, "token lacks its subject, issue time or expiry, or has a malformed time"));

        var now = time.GetUtcNow();
        if (IsExpired(validated, now, allowExpired)) return ExpiredTask;
        // Written as now + skew so a far-off time cannot overflow DateTimeOffset.
        var latest = now + settings.ClockSkew;
        if (validated.IssuedAt > latest || (jws.NotBefore is { } nbf && DateTimeOffset.FromUnixTimeSeconds(nbf) > latest))
            return Task.FromResult(TokenValidationOutcome.Refused(TokenFailure.Invalid, "token is not valid yet"));
        if (revocations.IsRevoked(validated)) return RevokedTask;

        // Only successes are cached: a refusal may be for a key not fetched yet.
        var outcome = Task.FromResult(TokenValidationOutcome.Valid(validated));
        cache.Add(jws.Token, new CachedToken(validated, outcome, now + settings.TokenCacheTime), now);
        return outcome;
    }

    private bool IsExpired(ValidatedToken token, DateTimeOffset now, bool allowExpired) =>
        token.ExpiresAt < now - settings.ClockSkew - (allowExpired ? settings.AllowExpiredWindow : TimeSpan.Zero);
}
