using Platform.Context;

namespace Platform.Auth.Policy;

/// <summary>The caller as policy sees it: oslo.context's <c>to_policy_values()</c> of a request context.</summary>
public static class PolicyCredentials
{
    public static IReadOnlyDictionary<string, object?> From(RequestContext context) => new Dictionary<string, object?>
    {
        ["user_id"] = context.UserId,
        ["user_domain_id"] = context.UserDomainId,
        ["project_id"] = context.ProjectId,
        ["project_domain_id"] = context.ProjectDomainId,
        ["domain_id"] = context.DomainId,
        ["system_scope"] = context.SystemScope,
        ["roles"] = context.Roles,
        ["is_admin"] = context.IsAdmin,
        ["service_user_id"] = context.ServiceUserId,
        ["service_user_domain_id"] = context.ServiceUserDomainId,
        ["service_project_id"] = context.ServiceProjectId,
        ["service_project_domain_id"] = context.ServiceProjectDomainId,
        ["service_roles"] = context.ServiceRoles,
        // What the token is scoped to, so a rule can tell a domain admin from a cloud admin.
        ["scope"] = context.SystemScope is not null ? "system"
            : context.DomainId is not null ? "domain"
            : context.ProjectId is not null ? "project"
            : "unscoped",
    };
}
