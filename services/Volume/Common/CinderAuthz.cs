using Platform.Auth.Policy;
using Platform.Context;
using Platform.Hosting;

namespace Volume.Common;

/// <summary>Policy checks with cinder's answer: a rule refused is 403 "Policy doesn't allow ...".</summary>
public sealed class CinderAuthz(IPolicyEnforcer policy)
{
    private static readonly Dictionary<string, object?> NoTarget = [];

    public static RequestContext Caller => RequestContextAccessor.Current ?? throw ApiException.Unauthorized();

    /// <summary>cinder's <c>context.is_admin</c>: the <c>context_is_admin</c> rule.</summary>
    public bool IsAdmin => policy.Authorize("context_is_admin", NoTarget, Caller);

    /// <summary>
    /// Whether <paramref name="rule"/> allows the caller on a target of <paramref name="projectId"/>
    /// (the caller's own project and user when null, as cinder's <c>context.authorize</c> defaults it).
    /// </summary>
    public bool Allows(string rule, string? projectId = null) => policy.Authorize(rule, new Dictionary<string, object?>
    {
        ["project_id"] = projectId ?? Caller.ProjectId,
        ["user_id"] = Caller.UserId,
    }, Caller);

    /// <summary>Refuses with 403 unless <paramref name="rule"/> allows the caller on a target of <paramref name="projectId"/>.</summary>
    public void Enforce(string rule, string? projectId = null)
    {
        if (!Allows(rule, projectId)) throw CinderErrors.PolicyNotAuthorized(rule);
    }
}
