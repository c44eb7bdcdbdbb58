using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Platform.Auth;

/// <summary>Issues ES256 tokens with one key; the identity service holds one per active key.</summary>
public sealed class TokenSigner
{
    // Times come from the payload, not the clock, so what was issued is exactly what is stored.
    private readonly JsonWebTokenHandler handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly SigningCredentials credentials;

    public TokenSigner(ECDsa key, string keyId)
    {
        if (key.KeySize != 256)
            throw new ArgumentException("ES256 needs a P-256 key", nameof(key));
        ArgumentException.ThrowIfNullOrEmpty(keyId);
        KeyId = keyId;
        credentials = new SigningCredentials(new ECDsaSecurityKey(key) { KeyId = keyId }, SecurityAlgorithms.EcdsaSha256);
    }

    public string KeyId { get; }

    public string Sign(TokenPayload payload)
    {
        var claims = new Dictionary<string, object>
        {
            [TokenClaims.Subject] = payload.UserId,
            [TokenClaims.Roles] = payload.Roles.ToArray(),
            [TokenClaims.RoleIds] = payload.RoleIds.ToArray(),
            [TokenClaims.Methods] = payload.Methods.ToArray(),
            [TokenClaims.AuditIds] = payload.AuditIds.ToArray(),
        };
        AddIfSet(claims, TokenClaims.UserName, payload.UserName);
        AddIfSet(claims, TokenClaims.UserDomainId, payload.UserDomainId);
        AddIfSet(claims, TokenClaims.UserDomainName, payload.UserDomainName);
        AddIfSet(claims, TokenClaims.ProjectId, payload.ProjectId);
        AddIfSet(claims, TokenClaims.ProjectName, payload.ProjectName);
        AddIfSet(claims, TokenClaims.ProjectDomainId, payload.ProjectDomainId);
        AddIfSet(claims, TokenClaims.ProjectDomainName, payload.ProjectDomainName);
        AddIfSet(claims, TokenClaims.DomainId, payload.DomainId);
        AddIfSet(claims, TokenClaims.DomainName, payload.DomainName);
        AddIfSet(claims, TokenClaims.System, payload.SystemScope);

        return handler.CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            IssuedAt = payload.IssuedAt.UtcDateTime,
            Expires = payload.ExpiresAt.UtcDateTime,
            Issuer = payload.Issuer,
            SigningCredentials = credentials,
        });
    }

    private static void AddIfSet(Dictionary<string, object> claims, string name, string? value)
    {
        if (value is not null) claims[name] = value;
    }
}
