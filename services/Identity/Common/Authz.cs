using Platform.Auth.Policy;
using Platform.Context;

namespace Identity.Common;

/// <summary>Policy checks with keystone's 403 message.</summary>
public sealed class Authz(IPolicyEnforcer policy)
{
    public static RequestContext Caller => RequestContextAccessor.Current ?? throw KeystoneErrors.Unauthorized();

    public void Enforce(string rule, IReadOnlyDictionary<string, object?>? target = null)
    {
        if (!policy.Authorize(rule, target ?? new Dictionary<string, object?>(), Caller))
            throw KeystoneErrors.Forbidden(rule);
    }

    /// <summary>
    /// Enforces a list rule for <paramref name="domainId"/> and answers the domain to list: a
    /// domain-scoped caller who may not list every domain sees only its own.
    /// </summary>
    public string? EnforceList(string rule, string? domainId)
    {
        Enforce(rule, new Dictionary<string, object?> { ["target.domain_id"] = domainId });
        var caller = Caller;
        if (domainId is null && caller.DomainId is not null && !Allows(rule, new Dictionary<string, object?> { ["target.domain_id"] = null }))
            return caller.DomainId;
        return domainId;
    }

    public bool Allows(string rule, IReadOnlyDictionary<string, object?>? target = null) =>
        policy.Authorize(rule, target ?? new Dictionary<string, object?>(), Caller);
}
