namespace Platform.Auth;

/// <summary>
/// One revocation in keystone's event model: it revokes every token issued at or before
/// <see cref="IssuedBefore"/> that matches all of the fields it sets.
/// </summary>
public sealed record RevocationEvent
{
    public required DateTimeOffset IssuedBefore { get; init; }

    /// <summary>Matches the token's own audit id (the first of its audit ids).</summary>
    public string? AuditId { get; init; }

    /// <summary>Matches every token of a rescope chain: the last of a token's audit ids.</summary>
    public string? AuditChainId { get; init; }

    public string? UserId { get; init; }
    public string? ProjectId { get; init; }

    /// <summary>Matches the token's domain scope or the domain of its user or project.</summary>
    public string? DomainId { get; init; }

    public string? RoleId { get; init; }

    public bool Matches(TokenPayload token)
    {
        if (token.IssuedAt > IssuedBefore) return false;
        if (AuditId is not null && (token.AuditIds.Count == 0 || token.AuditIds[0] != AuditId)) return false;
        if (AuditChainId is not null && (token.AuditIds.Count == 0 || token.AuditIds[^1] != AuditChainId)) return false;
        if (UserId is not null && token.UserId != UserId) return false;
        if (ProjectId is not null && token.ProjectId != ProjectId) return false;
        if (DomainId is not null && DomainId != token.DomainId && DomainId != token.UserDomainId && DomainId != token.ProjectDomainId)
            return false;
        if (RoleId is not null && !token.RoleIds.Contains(RoleId)) return false;
        return true;
    }
}
