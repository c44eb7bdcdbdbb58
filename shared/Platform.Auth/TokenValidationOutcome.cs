namespace Platform.Auth;

/// <summary>Why a token was refused.</summary>
public enum TokenFailure
{
    /// <summary>Not a compact JWS, or missing a header or claim a token must have.</summary>
    Malformed,

    /// <summary>Signed with a key the identity service does not publish.</summary>
    UnknownKey,

    BadSignature,
    Expired,

    /// <summary>Not yet valid, or from an issuer other than the configured one.</summary>
    Invalid,

    Revoked,

    /// <summary>The key set could not be fetched, so nothing can be said about the token.</summary>
    KeysUnavailable,
}

/// <summary>A validated token, or why there is none. The reason never contains the token.</summary>
public sealed record TokenValidationOutcome
{
    public ValidatedToken? Token { get; private init; }
    public TokenFailure? Failure { get; private init; }
    public string? Reason { get; private init; }

    public bool IsValid => Token is not null;

    public static TokenValidationOutcome Valid(ValidatedToken token) => new() { Token = token };

    public static TokenValidationOutcome Refused(TokenFailure failure, string reason) => new() { Failure = failure, Reason = reason };
}
