using Platform.Auth;

namespace Identity.Tokens;

/// <summary>Signs a token's payload with the repository's primary key.</summary>
public interface ITokenIssuer
{
    /// <summary>The compact JWS of <paramref name="payload"/>, as sent in X-Subject-Token.</summary>
    string Issue(TokenPayload payload);
}
