using Platform.Auth.Policy;

namespace Identity.Common;

/// <summary>
/// keystone's personas: a cloud admin (admin on a project or the system) manages everything; a
/// domain admin (admin on a domain-scoped token) manages its own domain; readers list and
/// read; a project member manages nothing of identity. A policy file may override any rule.
/// </summary>
public static class IdentityPolicy
{
    public static void Defaults(PolicyDefaultsBuilder p)
    {
        p.Add("admin_required", "role:admin");
        p.Add("service_role", "role:service");
        p.Add("service_or_admin", "rule:admin_required or rule:service_role");
        p.Add("cloud_admin", "role:admin and (scope:system or scope:project)", "admin on the system or on a project: the whole cloud");
        p.Add("system_reader", "role:reader and scope:system");
        p.Add("cloud_reader", "rule:cloud_admin or rule:system_reader");
        p.Add("domain_admin", "role:admin and scope:domain and domain_id:%(target.domain_id)s", "admin of the target's domain");
        p.Add("domain_reader", "role:reader and scope:domain and domain_id:%(target.domain_id)s");
        p.Add("owner", "user_id:%(target.user.id)s");

        foreach (var noun in new[] { "domain" })
        {
            p.Add($"identity:list_{noun}s", "rule:cloud_reader");
            p.Add($"identity:create_{noun}", "rule:cloud_admin");
            p.Add($"identity:update_{noun}", "rule:cloud_admin");
            p.Add($"identity:delete_{noun}", "rule:cloud_admin");
        }
        p.Add("identity:get_domain", "rule:cloud_reader or domain_id:%(target.domain.id)s or project_domain_id:%(target.domain.id)s");

        foreach (var noun in new[] { "project", "user", "group" })
        {
            p.Add($"identity:list_{noun}s", "rule:cloud_reader or rule:domain_reader");
            p.Add($"identity:create_{noun}", "rule:cloud_admin or rule:domain_admin");
            p.Add($"identity:update_{noun}", "rule:cloud_admin or rule:domain_admin");
            p.Add($"identity:delete_{noun}", "rule:cloud_admin or rule:domain_admin");
        }
        p.Add("identity:get_project", "rule:cloud_reader or rule:domain_reader or project_id:%(target.project.id)s");
        p.Add("identity:get_user", "rule:cloud_reader or rule:domain_reader or rule:owner");
        p.Add("identity:get_group", "rule:cloud_reader or rule:domain_reader");
        p.Add("identity:change_password", "rule:owner");
        p.Add("identity:list_user_projects", "rule:cloud_reader or rule:domain_reader or rule:owner");
        p.Add("identity:list_groups_for_user", "rule:cloud_reader or rule:domain_reader or rule:owner");
        p.Add("identity:list_users_in_group", "rule:cloud_reader or rule:domain_reader");
        p.Add("identity:check_user_in_group", "rule:cloud_reader or rule:domain_reader");
        p.Add("identity:add_user_to_group", "rule:cloud_admin or rule:domain_admin");
        p.Add("identity:remove_user_from_group", "rule:cloud_admin or rule:domain_admin");

        p.Add("identity:list_roles", "rule:cloud_reader or (role:reader and scope:domain)");
        p.Add("identity:get_role", "rule:cloud_reader or (role:reader and scope:domain)");
        p.Add("identity:create_role", "rule:cloud_admin");
        p.Add("identity:update_role", "rule:cloud_admin");
        p.Add("identity:delete_role", "rule:cloud_admin");
        foreach (var action in new[] { "create", "delete" }) p.Add($"identity:{action}_implied_role", "rule:cloud_admin");
        foreach (var action in new[] { "get", "list" }) p.Add($"identity:{action}_implied_role{(action == "list" ? "s" : "")}", "rule:cloud_reader");
        p.Add("identity:list_role_inference_rules", "rule:cloud_reader");

        p.Add("identity:create_grant", "rule:cloud_admin or rule:domain_admin");
        p.Add("identity:revoke_grant", "rule:cloud_admin or rule:domain_admin");
        p.Add("identity:check_grant", "rule:cloud_reader or rule:domain_reader");
        p.Add("identity:list_grant", "rule:cloud_reader or rule:domain_reader");
        foreach (var action in new[] { "create", "revoke" }) p.Add($"identity:{action}_system_grant", "rule:cloud_admin");
        foreach (var action in new[] { "check", "list" }) p.Add($"identity:{action}_system_grant", "rule:cloud_reader");
        p.Add("identity:list_role_assignments", "rule:cloud_reader or rule:domain_reader or rule:owner");

        p.Add("identity:list_regions", "");
        p.Add("identity:get_region", "");
        foreach (var noun in new[] { "region", "service", "endpoint" })
        {
            p.Add($"identity:create_{noun}", "rule:cloud_admin");
            p.Add($"identity:delete_{noun}", "rule:cloud_admin");
            if (noun != "region")
            {
                p.Add($"identity:list_{noun}s", "rule:cloud_reader");
                p.Add($"identity:get_{noun}", "rule:cloud_reader");
            }
        }

        p.Add("identity:validate_token", "rule:service_or_admin or user_id:%(target.token.user_id)s");
        p.Add("identity:list_revoke_events", "rule:service_or_admin");
        p.Add("identity:list_application_credentials", "rule:cloud_reader or rule:owner");
        p.Add("identity:get_application_credential", "rule:cloud_reader or rule:owner");
        p.Add("identity:create_application_credential", "rule:owner");
        p.Add("identity:delete_application_credential", "rule:cloud_admin or rule:owner");
    }
}
