using Platform.Auth.Policy;
using Platform.Context;
using Platform.Hosting;

namespace ComputeApi.Common;

/// <summary>
/// Policy checks with nova's answers: a rule refused is 403 "Policy doesn't allow ..."; a server
/// of another project is never found (404), as nova scopes its queries by project.
/// </summary>
public sealed class NovaAuthz(IPolicyEnforcer policy)
{
    private static readonly Dictionary<string, object?> NoTarget = [];

    public static RequestContext Caller => RequestContextAccessor.Current ?? throw ApiException.Unauthorized();

    public bool IsAdmin => policy.Authorize("context_is_admin", NoTarget, Caller);

    public bool Allows(string rule, string? projectId, string? userId = null) => policy.Authorize(rule, Target(projectId, userId), Caller);

    /// <summary>Refuses with 403 unless <paramref name="rule"/> allows the caller on a target owned by <paramref name="projectId"/>.</summary>
    public void Enforce(string rule, string? projectId = null, string? userId = null)
    {
        if (!Allows(rule, projectId ?? Caller.ProjectId, userId ?? Caller.UserId)) throw NovaErrors.PolicyNotAuthorized(rule);
    }

    public static Dictionary<string, object?> Target(string? projectId, string? userId = null) => new()
    {
        ["project_id"] = projectId,
        ["user_id"] = userId,
    };
}
