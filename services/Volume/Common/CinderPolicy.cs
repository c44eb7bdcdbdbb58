using Platform.Auth.Policy;

namespace Volume.Common;

/// <summary>
/// cinder's default rules as Zed ships them: readers of a project read it, admins alone change
/// quotas. Rule names are cinder's, so an operator's policy.yaml overrides them as in cinder.
/// </summary>
public static class CinderPolicy
{
    public static void Defaults(PolicyDefaultsBuilder builder)
    {
        builder.Add("context_is_admin", "role:admin", "Decides what is required for the 'is_admin:True' check to succeed.");
        // cinder adds "and is_admin_project:True", a notion our tokens do not carry; an admin is an admin, as in nova here.
        builder.Add("admin_api", "role:admin", "Default rule for most Admin APIs.");
        builder.Add("xena_system_admin_or_project_reader", "(role:admin) or (role:reader and project_id:%(project_id)s)");
        builder.Add("xena_system_admin_or_project_member", "(role:admin) or (role:member and project_id:%(project_id)s)");

        builder.Add("volume_extension:quotas:show", "rule:xena_system_admin_or_project_reader", "Show project quota (including usage and default).");
        builder.Add("volume_extension:quotas:update", "rule:admin_api", "Update project quota.");
        builder.Add("volume_extension:quotas:delete", "rule:admin_api", "Delete project quota.");
        builder.Add("limits_extension:used_limits", "rule:xena_system_admin_or_project_reader", "Show limits with used limit attributes.");
    }
}
