namespace Platform.Context;

/// <summary>
/// Who is asking and on whose behalf: the caller context that travels from a REST call through
/// every message to the host that does the work, as oslo.context's RequestContext does.
/// </summary>
public sealed record RequestContext
{
    /// <summary>This service's id for the request (<c>req-&lt;uuid&gt;</c>).</summary>
    public string RequestId { get; init; } = NewRequestId();

    /// <summary>The id of the request that started the chain, kept across services.</summary>
    public string? GlobalRequestId { get; init; }

    public string? UserId { get; init; }
    public string? UserName { get; init; }
    public string? UserDomainId { get; init; }
    public string? ProjectId { get; init; }
    public string? ProjectName { get; init; }
    public string? ProjectDomainId { get; init; }

    /// <summary>Set for a domain-scoped token.</summary>
    public string? DomainId { get; init; }

    /// <summary>Set for a system-scoped token (keystone's only system is <c>all</c>).</summary>
    public string? SystemScope { get; init; }

    public IReadOnlyList<string> Roles { get; init; } = [];

    /// <summary>True when the caller holds the admin role; policy decides what that allows.</summary>
    public bool IsAdmin => Roles.Any(r => string.Equals(r, "admin", StringComparison.OrdinalIgnoreCase));

    public bool IsAuthenticated => UserId is not null;

    // The service token (X-Service-Token) a service sends beside a user's token when it calls
    // on the user's behalf, as oslo.context keeps it: policy may require it for some calls.
    public string? ServiceUserId { get; init; }
    public string? ServiceUserDomainId { get; init; }
    public string? ServiceProjectId { get; init; }
    public string? ServiceProjectDomainId { get; init; }
    public IReadOnlyList<string> ServiceRoles { get; init; } = [];

    /// <summary>
    /// The caller's own token, for calls made on the caller's behalf. Never serialised into a
    /// message or a log: <see cref="ToString"/> leaves it out.
    /// </summary>
    public string? AuthToken { get; init; }

    public static string NewRequestId() => "req-" + Guid.NewGuid().ToString();

    public override string ToString() =>
        $"request_id={RequestId} global_request_id={GlobalRequestId} user={UserId} project={ProjectId} roles={string.Join(',', Roles)}";
}

/// <summary>
/// The ambient caller context of the current flow (an HTTP request or a consumed message).
/// </summary>
public static class RequestContextAccessor
{
    private static readonly AsyncLocal<RequestContext?> current = new();

    public static RequestContext? Current
    {
        get => current.Value;
        set => current.Value = value;
    }
}
