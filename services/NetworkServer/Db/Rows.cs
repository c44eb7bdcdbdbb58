using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Dapper;

namespace NetworkServer.Db;

// The rows of the network database, one record per table; the column lists are in the
// records' order, so Dapper maps them by position.

public sealed record Network(string Id, string ProjectId, string Name, string Description, string Status, bool AdminStateUp, bool Shared,
    bool RouterExternal, bool PortSecurityEnabled, int Mtu, string NetworkType, string? PhysicalNetwork, int? SegmentationId,
    DateTime CreatedAt, DateTime UpdatedAt, long RevisionNumber)
{
    public const string Columns = "id, project_id, name, description, status, admin_state_up, shared, router_external, port_security_enabled, mtu, network_type, physical_network, segmentation_id, created_at, updated_at, revision_number";
}

public sealed record Subnet(string Id, string ProjectId, string NetworkId, string Name, string Description, int IpVersion, string Cidr, string? GatewayIp,
    bool EnableDhcp, string? Ipv6RaMode, string? Ipv6AddressMode, string? SubnetpoolId, string DnsNameservers, string HostRoutes, string AllocationPools,
    DateTime CreatedAt, DateTime UpdatedAt, long RevisionNumber)
{
    public const string Columns = "id, project_id, network_id, name, description, ip_version, cidr, gateway_ip, enable_dhcp, ipv6_ra_mode, ipv6_address_mode, subnetpool_id, dns_nameservers, host_routes, allocation_pools, created_at, updated_at, revision_number";

    public List<Ipam.Pool> Pools => Json.Read<List<Ipam.Pool>>(AllocationPools);
}

public sealed record SubnetPool(string Id, string ProjectId, string Name, string Description, int IpVersion, string Prefixes, int DefaultPrefixlen,
    int MinPrefixlen, int MaxPrefixlen, bool Shared, bool IsDefault, int? DefaultQuota, DateTime CreatedAt, DateTime UpdatedAt, long RevisionNumber)
{
    public const string Columns = "id, project_id, name, description, ip_version, prefixes, default_prefixlen, min_prefixlen, max_prefixlen, shared, is_default, default_quota, created_at, updated_at, revision_number";
}

public sealed record Port(string Id, string ProjectId, string NetworkId, string Name, string Description, string MacAddress, bool AdminStateUp,
    string Status, string DeviceId, string DeviceOwner, bool PortSecurityEnabled, string AllowedAddressPairs, string BindingHostId,
    string BindingVnicType, string BindingVifType, string BindingVifDetails, string BindingProfile, DateTime CreatedAt, DateTime UpdatedAt,
    long RevisionNumber)
{
    public const string Columns = "id, project_id, network_id, name, description, mac_address, admin_state_up, status, device_id, device_owner, port_security_enabled, allowed_address_pairs, binding_host_id, binding_vnic_type, binding_vif_type, binding_vif_details, binding_profile, created_at, updated_at, revision_number";
}

public sealed record IpAllocation(string SubnetId, string IpAddress, string PortId, string NetworkId);

public sealed record SecurityGroup(string Id, string ProjectId, string Name, string Description, bool Stateful, DateTime CreatedAt, DateTime UpdatedAt, long RevisionNumber)
{
    public const string Columns = "id, project_id, name, description, stateful, created_at, updated_at, revision_number";
}

public sealed record SecurityGroupRule(string Id, string ProjectId, string SecurityGroupId, string Direction, string Ethertype, string? Protocol,
    int? PortRangeMin, int? PortRangeMax, string? RemoteIpPrefix, string? RemoteGroupId, string Description, DateTime CreatedAt, DateTime UpdatedAt,
    long RevisionNumber)
{
    public const string Columns = "id, project_id, security_group_id, direction, ethertype, protocol, port_range_min, port_range_max, remote_ip_prefix, remote_group_id, description, created_at, updated_at, revision_number";
}

public sealed record Router(string Id, string ProjectId, string Name, string Description, string Status, bool AdminStateUp, string? GwPortId,
    bool EnableSnat, string Routes, DateTime CreatedAt, DateTime UpdatedAt, long RevisionNumber)
{
    public const string Columns = "id, project_id, name, description, status, admin_state_up, gw_port_id, enable_snat, routes, created_at, updated_at, revision_number";
}

public sealed record FloatingIp(string Id, string ProjectId, string FloatingNetworkId, string FloatingIpAddress, string FloatingPortId, string? FixedPortId,
    string? FixedIpAddress, string? RouterId, string Status, string Description, DateTime CreatedAt, DateTime UpdatedAt, long RevisionNumber)
{
    public const string Columns = "id, project_id, floating_network_id, floating_ip_address, floating_port_id, fixed_port_id, fixed_ip_address, router_id, status, description, created_at, updated_at, revision_number";
}

public sealed record Agent(string Id, string AgentType, string Binary, string Topic, string Host, string? AvailabilityZone, bool AdminStateUp,
    string Configurations, string Description, DateTime CreatedAt, DateTime StartedAt, DateTime HeartbeatTimestamp)
{
    public const string Columns = "id, agent_type, `binary`, topic, host, availability_zone, admin_state_up, configurations, description, created_at, started_at, heartbeat_timestamp";
}

/// <summary>Reading one row by its id.</summary>
public static class RowLookup
{
    /// <summary>
    /// The row of <paramref name="table"/> with this id, locked when <paramref name="forUpdate"/>;
    /// null when there is none or the id is no UUID (neutron answers both with the same 404).
    /// </summary>
    public static async Task<T?> ByIdAsync<T>(DbConnection c, string table, string columns, string id, DbTransaction? tx = null, bool forUpdate = false)
        where T : class =>
        Guid.TryParseExact(id, "D", out _)
            ? await c.QuerySingleOrDefaultAsync<T>($"SELECT {columns} FROM {table} WHERE id = @id{(forUpdate ? " FOR UPDATE" : "")}", new { id }, tx)
            : null;
}

/// <summary>JSON text columns and neutron's time format.</summary>
public static class Json
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static T Read<T>(string text) => JsonSerializer.Deserialize<T>(text, Options)!;

    public static string Write<T>(T value) => JsonSerializer.Serialize(value, Options);

    /// <summary>neutron's timestamps: UTC to the second, with a Z.</summary>
    public static string Time(DateTime t) => DateTime.SpecifyKind(t, DateTimeKind.Utc).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}
