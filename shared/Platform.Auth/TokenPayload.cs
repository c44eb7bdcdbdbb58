namespace Platform.Auth;

/// <summary>What a token says: who, in which scope, with which roles, and for how long.</summary>
public record TokenPayload
{
    public required string UserId { get; init; }
    public string? UserName { get; init; }
    public string? UserDomainId { get; init; }
    public string? UserDomainName { get; init; }

    public string? ProjectId { get; init; }
    public string? ProjectName { get; init; }
    public string? ProjectDomainId { get; init; }
    public string? ProjectDomainName { get; init; }

    /// <summary>Set for a domain-scoped token.</summary>
    public string? DomainId { get; init; }
    public string? DomainName { get; init; }

    /// <summary>Set for a system-scoped token (<c>all</c>).</summary>
    public string? SystemScope { get; init; }

    public IReadOnlyList<string> Roles { get; init; } = [];
    public IReadOnlyList<string> RoleIds { get; init; } = [];
    public IReadOnlyList<string> Methods { get; init; } = [];
    public IReadOnlyList<string> AuditIds { get; init; } = [];

    public required DateTimeOffset IssuedAt { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }
    public string? Issuer { get; init; }
}

/// <summary>A payload whose signature and lifetime have been checked.</summary>
public sealed record ValidatedToken : TokenPayload
{
    /// <summary>The id of the key that signed it.</summary>
    public required string KeyId { get; init; }
}
