using Platform.Auth.Policy;

namespace NetworkServer.Common;

/// <summary>
/// neutron's default rules in their project-scoped form: readers of a project read its
/// resources and the shared and external networks; members change them; admins do anything
/// and alone see and set provider attributes, <c>router:external</c>, bindings and agents.
/// The target carries <c>project_id</c> (the resource's owner), and for networks
/// <c>shared</c> and <c>router:external</c>.
/// </summary>
public static class NeutronPolicy
{
    private const string Admin = "role:admin";
    private const string ProjectMember = "role:member and project_id:%(project_id)s";
    private const string ProjectReader = "role:reader and project_id:%(project_id)s";
    private const string AdminOrMember = $"{Admin} or ({ProjectMember})";
    private const string AdminOrReader = $"{Admin} or ({ProjectReader})";

    public static void Defaults(PolicyDefaultsBuilder builder)
    {
        // Later entries override the generic ones, then all are registered once.
        var p = new Rules();
        p.Add("context_is_admin", Admin);
        p.Add("admin_only", Admin);
        p.Add("default", Admin);

        foreach (var resource in new[] { "network", "subnet", "subnetpool", "port", "router", "floatingip", "security_group", "security_group_rule" })
        {
            p.Add($"create_{resource}", AdminOrMember);
            p.Add($"get_{resource}", AdminOrReader);
            p.Add($"update_{resource}", AdminOrMember);
            p.Add($"delete_{resource}", AdminOrMember);
        }
        // Shared and external networks, shared pools: anyone with a role reads them.
        p.Add("get_network", $"{Admin} or ({ProjectReader}) or (role:reader and 'True':%(shared)s) or (role:reader and 'True':%(router:external)s)");
        p.Add("get_subnet", $"{Admin} or ({ProjectReader}) or (role:reader and 'True':%(shared)s) or (role:reader and 'True':%(router:external)s)");
        p.Add("get_subnetpool", $"{Admin} or ({ProjectReader}) or (role:reader and 'True':%(shared)s)");
        // Ports and subnets on a shared network may be made by any member.
        p.Add("create_port", $"{AdminOrMember} or (role:member and 'True':%(shared)s)");
        p.Add("create_subnet", AdminOrMember);

        // Attributes only an admin may set or see.
        foreach (var attribute in new[] { "provider:network_type", "provider:physical_network", "provider:segmentation_id", "router:external", "shared", "segments" })
        {
            p.Add($"create_network:{attribute}", Admin);
            p.Add($"update_network:{attribute}", Admin);
        }
        p.Add("get_network:provider:network_type", Admin);
        p.Add("get_network:provider:physical_network", Admin);
        p.Add("get_network:provider:segmentation_id", Admin);
        p.Add("create_subnetpool:shared", Admin);
        p.Add("create_subnetpool:is_default", Admin);
        p.Add("create_port:binding:host_id", Admin);
        p.Add("update_port:binding:host_id", Admin);
        p.Add("create_port:binding:profile", Admin);
        p.Add("update_port:binding:profile", Admin);
        p.Add("create_port:mac_address", Admin);
        p.Add("update_port:mac_address", Admin);
        p.Add("get_port:binding:vif_type", Admin);
        p.Add("get_port:binding:vif_details", Admin);
        p.Add("get_port:binding:host_id", Admin);
        p.Add("get_port:binding:profile", Admin);
        p.Add("create_router:external_gateway_info:enable_snat", Admin);
        p.Add("update_router:external_gateway_info:enable_snat", Admin);
        p.Add("create_router:external_gateway_info:external_fixed_ips", Admin);
        p.Add("update_router:external_gateway_info:external_fixed_ips", Admin);
        p.Add("add_router_interface", AdminOrMember);
        p.Add("remove_router_interface", AdminOrMember);
        p.Add("create_floatingip:floating_ip_address", Admin);

        p.Add("get_agent", Admin);
        p.Add("update_agent", Admin);
        p.Add("delete_agent", Admin);
        p.Add("get_quota", AdminOrReader);
        p.Add("update_quota", Admin);
        p.Add("delete_quota", Admin);
        p.Add("get_availability_zone", "role:reader or role:admin");
        foreach (var (name, rule) in p) builder.Add(name, rule);
    }

    private sealed class Rules : Dictionary<string, string>
    {
        public new void Add(string name, string rule) => this[name] = rule;
    }
}
