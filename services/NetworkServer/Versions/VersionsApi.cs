namespace NetworkServer.Versions;

/// <summary>Version discovery (<c>GET /</c>, <c>GET /v2.0</c>) and the extensions clients look up before some calls.</summary>
public static class VersionsApi
{
    private static readonly (string Alias, string Name, string Description)[] Extensions =
    [
        ("agent", "agent", "The agent management extension."),
        ("allowed-address-pairs", "Allowed Address Pairs", "Provides allowed address pairs"),
        ("availability_zone", "Availability Zone", "The availability zone extension."),
        ("binding", "Port Binding", "Expose port bindings of a virtual port to external application"),
        ("default-subnetpools", "Default Subnetpools", "Provides ability to mark and use a subnetpool as the default."),
        ("dhcp_agent_scheduler", "DHCP Agent Scheduler", "Schedule networks among dhcp agents"),
        ("external-net", "Neutron external network", "Adds external network attribute to network resource."),
        ("ext-gw-mode", "Neutron L3 Configurable external gateway mode", "Extension of the router abstraction for specifying whether SNAT should occur on the external gateway"),
        ("extraroute", "Neutron Extra Route", "Extra routes configuration for L3 router"),
        ("ip-substring-filtering", "IP address substring filtering", "Provides IP address substring filtering when listing ports"),
        ("l3_agent_scheduler", "L3 Agent Scheduler", "Schedule routers among l3 agents"),
        ("network_availability_zone", "Network Availability Zone", "Availability zone support for network."),
        ("net-mtu", "Network MTU", "Provides MTU attribute for a network resource."),
        ("net-mtu-writable", "Network MTU (writable)", "Provides a writable MTU attribute for a network resource."),
        ("pagination", "Pagination support", "Extension that indicates that pagination is enabled."),
        ("port-security", "Port Security", "Provides port security"),
        ("project-id", "project_id field enabled", "Extension that indicates that project_id field is enabled."),
        ("provider", "Provider Network", "Expose mapping of virtual networks to physical networks"),
        ("quotas", "Quota management support", "Expose functions for quotas management per project"),
        ("quota_details", "Quota details management support", "Expose functions for quotas usage statistics per project"),
        ("router", "Neutron L3 Router", "Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway."),
        ("router_availability_zone", "Router Availability Zone", "Availability zone support for router."),
        ("security-group", "security-group", "The security groups extension."),
        ("sorting", "Sorting support", "Extension that indicates that sorting is enabled."),
        ("standard-attr-description", "standard-attr-description", "Extension to add descriptions to standard attributes"),
        ("standard-attr-revisions", "Resource revision numbers", "This extension will display the revision number of neutron resources."),
        ("standard-attr-timestamp", "Resource timestamps", "Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes."),
        ("stateful-security-group", "Stateful security group", "Extension adding possibility to make security group stateless"),
        ("subnet_allocation", "Subnet Allocation", "Enables allocation of subnets from a subnet pool"),
    ];

    private static readonly (string Name, string Collection)[] Resources =
    [
        ("subnet", "subnets"), ("subnetpool", "subnetpools"), ("network", "networks"), ("port", "ports"),
    ];

    private static object Extension((string Alias, string Name, string Description) e) =>
        new { alias = e.Alias, name = e.Name, description = e.Description, updated = "2013-01-01T10:00:00-00:00", links = Array.Empty<object>() };

    public static void MapVersions(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", (HttpRequest r) => Results.Json(new
        {
            versions = new[] { new { id = "v2.0", status = "CURRENT", links = new[] { new { href = $"{Root(r)}/v2.0/", rel = "self" } } } },
        })).AllowAnonymous();
        app.MapGet("/v2.0", (HttpRequest r) => Results.Json(new
        {
            resources = Resources.Select(x => new { name = x.Name, collection = x.Collection, links = new[] { new { href = $"{Root(r)}/v2.0/{x.Collection}", rel = "self" } } }),
        })).AllowAnonymous();
        app.MapGet("/v2.0/extensions", () => Results.Json(new { extensions = Extensions.Select(Extension) }));
        app.MapGet("/v2.0/extensions/{alias}", (string alias) => Extensions.FirstOrDefault(e => e.Alias == alias) is { Alias: not null } e
            ? Results.Json(new { extension = Extension(e) })
            : throw Common.NeutronErrors.NotFound("extension", alias));
    }

    private static string Root(HttpRequest r) => $"{r.Scheme}://{r.Host}{r.PathBase}";
}
