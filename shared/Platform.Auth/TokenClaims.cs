namespace Platform.Auth;

/// <summary>
/// Claim names in the tokens the identity service issues. They follow keystone's token body
/// (user, project, domain and system scope, roles, methods, audit ids) flattened into JWT claims.
/// </summary>
public static class TokenClaims
{
    public const string Subject = "sub";
    public const string UserName = "user_name";
    public const string UserDomainId = "user_domain_id";
    public const string UserDomainName = "user_domain_name";
    public const string ProjectId = "project_id";
    public const string ProjectName = "project_name";
    public const string ProjectDomainId = "project_domain_id";
    public const string ProjectDomainName = "project_domain_name";

    /// <summary>Domain scope.</summary>
    public const string DomainId = "domain_id";
    public const string DomainName = "domain_name";

    /// <summary>System scope, e.g. <c>all</c>.</summary>
    public const string System = "system";

    /// <summary>JSON array of role names.</summary>
    public const string Roles = "roles";
    public const string RoleIds = "role_ids";

    /// <summary>JSON array of the auth methods used (<c>password</c>, <c>token</c>, ...).</summary>
    public const string Methods = "methods";

    /// <summary>JSON array: the token's own audit id, then its parent's when it was rescoped.</summary>
    public const string AuditIds = "audit_ids";

    public const string IssuedAt = "iat";
    public const string ExpiresAt = "exp";
    public const string Issuer = "iss";

    /// <summary>The only signing algorithm issued and accepted.</summary>
    public const string Algorithm = "ES256";
}
