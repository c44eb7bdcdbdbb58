using Platform.Auth.Policy;

namespace ComputeApi.Common;

/// <summary>
/// nova's default rules in their project-scoped form (readers of a project read its servers,
/// members act on them, admins do anything and alone manage flavors, hosts, services and
/// aggregates). Rule names are nova's, so an operator's policy.yaml overrides them as in nova.
/// </summary>
public static class NovaPolicy
{
    private const string Admin = "role:admin";
    private const string ProjectMember = "role:member and project_id:%(project_id)s";
    private const string ProjectReader = "role:reader and project_id:%(project_id)s";
    private const string AdminOrMember = $"{Admin} or ({ProjectMember})";
    private const string AdminOrReader = $"{Admin} or ({ProjectReader})";
    private const string Anyone = "@";

    public static void Defaults(PolicyDefaultsBuilder builder)
    {
        var p = new Dictionary<string, string>
        {
            ["context_is_admin"] = Admin,
            ["admin_api"] = Admin,
            ["project_member_api"] = AdminOrMember,
            ["project_reader_api"] = AdminOrReader,
        };
        void Rule(string name, string rule) => p[name] = rule;

        foreach (var action in new[] { "index", "detail", "show", "show:flavor-extra-specs", "tags:index", "tags:show" })
            Rule($"os_compute_api:servers:{action}", AdminOrReader);
        foreach (var action in new[] { "create", "create:forced_host", "create:attach_volume", "create:attach_network", "create:trusted_certs", "update", "delete", "start", "stop",
            "reboot", "rebuild", "rebuild:trusted_certs", "create_image", "create_image:allow_volume_backed", "tags:update", "tags:update_all", "tags:delete", "tags:delete_all" })
            Rule($"os_compute_api:servers:{action}", AdminOrMember);
        Rule("os_compute_api:servers:create:forced_host", Admin);
        Rule("os_compute_api:servers:create:requested_destination", Admin);
        Rule("os_compute_api:servers:index:get_all_tenants", Admin);
        Rule("os_compute_api:servers:detail:get_all_tenants", Admin);
        Rule("os_compute_api:servers:allow_all_filters", Admin);
        Rule("os_compute_api:servers:show:host_status", Admin);
        Rule("os_compute_api:os-extended-server-attributes", Admin);
        Rule("os_compute_api:os-pause-server:pause", AdminOrMember);
        Rule("os_compute_api:os-pause-server:unpause", AdminOrMember);
        Rule("os_compute_api:os-suspend-server:suspend", AdminOrMember);
        Rule("os_compute_api:os-suspend-server:resume", AdminOrMember);
        Rule("os_compute_api:os-lock-server:lock", AdminOrMember);
        Rule("os_compute_api:os-lock-server:unlock", AdminOrMember);
        Rule("os_compute_api:os-lock-server:unlock:unlock_override", Admin);
        Rule("os_compute_api:os-console-output", AdminOrMember);
        Rule("os_compute_api:os-instance-actions:list", AdminOrReader);
        Rule("os_compute_api:os-instance-actions:show", AdminOrReader);
        Rule("os_compute_api:os-instance-actions:events", Admin);
        Rule("os_compute_api:os-instance-actions:events:details", Admin);
        Rule("os_compute_api:server-metadata:index", AdminOrReader);
        Rule("os_compute_api:server-metadata:show", AdminOrReader);
        Rule("os_compute_api:server-metadata:create", AdminOrMember);
        Rule("os_compute_api:server-metadata:update", AdminOrMember);
        Rule("os_compute_api:server-metadata:update_all", AdminOrMember);
        Rule("os_compute_api:server-metadata:delete", AdminOrMember);
        Rule("os_compute_api:ips:index", AdminOrReader);
        Rule("os_compute_api:os-volumes-attachments:index", AdminOrReader);
        Rule("os_compute_api:os-volumes-attachments:show", AdminOrReader);
        Rule("os_compute_api:os-volumes-attachments:create", AdminOrMember);
        Rule("os_compute_api:os-volumes-attachments:update", Admin);
        Rule("os_compute_api:os-volumes-attachments:swap", Admin);
        Rule("os_compute_api:os-volumes-attachments:delete", AdminOrMember);
        Rule("os_compute_api:ips:show", AdminOrReader);

        Rule("os_compute_api:os-flavor-manage:create", Admin);
        Rule("os_compute_api:os-flavor-manage:update", Admin);
        Rule("os_compute_api:os-flavor-manage:delete", Admin);
        Rule("os_compute_api:os-flavor-extra-specs:index", AdminOrReader);
        Rule("os_compute_api:os-flavor-extra-specs:show", AdminOrReader);
        Rule("os_compute_api:os-flavor-extra-specs:create", Admin);
        Rule("os_compute_api:os-flavor-extra-specs:update", Admin);
        Rule("os_compute_api:os-flavor-extra-specs:delete", Admin);
        Rule("os_compute_api:os-flavor-access", Admin);
        Rule("os_compute_api:os-flavor-access:add_tenant_access", Admin);
        Rule("os_compute_api:os-flavor-access:remove_tenant_access", Admin);

        // Keypairs belong to users: a user manages their own, an admin anyone's.
        foreach (var action in new[] { "index", "show", "create", "delete" })
            Rule($"os_compute_api:os-keypairs:{action}", "role:admin or user_id:%(user_id)s");

        foreach (var action in new[] { "index", "show" })
            Rule($"os_compute_api:os-server-groups:{action}", AdminOrReader);
        Rule("os_compute_api:os-server-groups:index:all_projects", Admin);
        Rule("os_compute_api:os-server-groups:create", "role:member");
        Rule("os_compute_api:os-server-groups:delete", AdminOrMember);

        Rule("os_compute_api:os-availability-zone:list", Anyone);
        Rule("os_compute_api:os-availability-zone:detail", Admin);
        Rule("os_compute_api:os-hypervisors:list", Admin);
        Rule("os_compute_api:os-hypervisors:list-detail", Admin);
        Rule("os_compute_api:os-hypervisors:show", Admin);
        Rule("os_compute_api:os-hypervisors:statistics", Admin);
        Rule("os_compute_api:os-hypervisors:uptime", Admin);
        Rule("os_compute_api:os-hypervisors:search", Admin);
        Rule("os_compute_api:os-hypervisors:servers", Admin);
        Rule("os_compute_api:os-services:list", Admin);
        Rule("os_compute_api:os-services:update", Admin);
        Rule("os_compute_api:os-services:delete", Admin);
        foreach (var action in new[] { "index", "create", "show", "update", "delete", "add_host", "remove_host", "set_metadata" })
            Rule($"os_compute_api:os-aggregates:{action}", Admin);
        Rule("os_compute_api:limits", Anyone);
        Rule("os_compute_api:limits:other_project", Admin);
        Rule("os_compute_api:os-quota-sets:show", AdminOrReader);
        Rule("os_compute_api:os-quota-sets:update", Admin);
        Rule("os_compute_api:os-quota-sets:delete", Admin);
        Rule("os_compute_api:os-quota-sets:defaults", Anyone);
        Rule("os_compute_api:os-quota-sets:detail", AdminOrReader);
        Rule("os_compute_api:os-quota-class-sets:show", Admin);
        Rule("os_compute_api:os-quota-class-sets:update", Admin);
        // Only a service (the network service) sends external events.
        Rule("os_compute_api:os-server-external-events:create", "role:admin or role:service");

        foreach (var (name, rule) in p) builder.Add(name, rule);
    }
}
