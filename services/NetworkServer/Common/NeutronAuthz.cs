using Platform.Auth.Policy;
using Platform.Context;
using Platform.Hosting;

namespace NetworkServer.Common;

/// <summary>
/// Policy checks with neutron's answers: a resource the caller may not read is 404 (never
/// revealing it exists); an action refused on a resource it can read is 403.
/// </summary>
public sealed class NeutronAuthz(IPolicyEnforcer policy)
{
    private static readonly Dictionary<string, object?> NoTarget = [];

    public static RequestContext Caller => RequestContextAccessor.Current ?? throw ApiException.Unauthorized();

    public bool IsAdmin => policy.Authorize("context_is_admin", NoTarget, Caller);

    public bool Allows(string rule, IReadOnlyDictionary<string, object?> target) => policy.Authorize(rule, target, Caller);

    public void Enforce(string rule, IReadOnlyDictionary<string, object?> target)
    {
        if (!Allows(rule, target)) throw NeutronErrors.Forbidden(rule);
    }

    /// <summary>The target of a resource owned by <paramref name="projectId"/>.</summary>
    public static Dictionary<string, object?> Target(string? projectId, bool shared = false, bool external = false) => new()
    {
        ["project_id"] = projectId,
        ["tenant_id"] = projectId,
        ["shared"] = shared ? "True" : "False",
        ["router:external"] = external ? "True" : "False",
    };

    /// <summary>The project a new resource belongs to: the caller's, or another only an admin may name.</summary>
    public string OwnerFor(NeutronBody body)
    {
        var asked = body.String("project_id") ?? body.String("tenant_id");
        var caller = Caller.ProjectId;
        if (asked is null || asked == caller) return caller ?? throw NeutronErrors.BadRequest("HTTPBadRequest", "Running without keystone AuthN requires that project_id is specified");
        if (!IsAdmin) throw NeutronErrors.BadRequest("HTTPBadRequest", "Specifying 'project_id' or 'tenant_id' other than the authenticated project in request requires admin privileges");
        return asked;
    }
}
