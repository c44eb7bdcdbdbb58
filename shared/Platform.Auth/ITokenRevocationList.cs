namespace Platform.Auth;

/// <summary>Decides whether a token that is otherwise valid has been revoked.</summary>
public interface ITokenRevocationList
{
    bool IsRevoked(ValidatedToken token);
}
