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

    public bool Allows(string rule, IReadOnlyDictionary<string, object?>? target = null) =>
        policy.Authorize(rule, target ?? new Dictionary<string, object?>(), Caller);
}
