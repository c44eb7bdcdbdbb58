namespace NetworkServer.Contracts;

// ---- Calls from agents to the network server ----

/// <summary>
/// report_state: an agent's heartbeat with its configuration (bridge_mappings, tunnel_types,
/// datapath_type for OVS; dhcp_driver for DHCP; agent_mode for L3). <see cref="StartFlag"/> on the
/// first report after the agent starts.
/// </summary>
public sealed record ReportState(string AgentType, string Binary, string Topic, string Host, string? AvailabilityZone,
    IReadOnlyDictionary<string, object?> Configurations, bool StartFlag);

public sealed record ReportStateReply(string AgentId, string Status);

/// <summary>get_devices_details_list: what an agent needs to wire the ports (devices) it found on its host.</summary>
public sealed record GetDevicesDetails(string Host, string AgentId, IReadOnlyList<string> Devices);

public sealed record DevicesDetailsReply(IReadOnlyList<DeviceDetails> Devices);

/// <summary>
/// One port as an agent wires it. <see cref="Found"/> false (with only <see cref="Device"/>) for a
/// port the server does not have, so the agent can tear it down.
/// </summary>
public sealed record DeviceDetails(string Device, bool Found, string? PortId = null, string? NetworkId = null, string? MacAddress = null,
    bool AdminStateUp = false, string? NetworkType = null, string? PhysicalNetwork = null, int? SegmentationId = null, int Mtu = 0,
    IReadOnlyList<FixedIp>? FixedIps = null, string? DeviceOwner = null, string? DeviceId = null, bool PortSecurityEnabled = false,
    IReadOnlyList<string>? SecurityGroups = null, IReadOnlyList<AddressPair>? AllowedAddressPairs = null);

public sealed record FixedIp(string SubnetId, string IpAddress);

public sealed record AddressPair(string IpAddress, string? MacAddress);

/// <summary>update_device_list: ports an agent has wired (up) or unwired (down) on its host.</summary>
public sealed record UpdateDeviceList(string Host, string AgentId, IReadOnlyList<string> DevicesUp, IReadOnlyList<string> DevicesDown);

public sealed record UpdateDeviceListReply(IReadOnlyList<string> DevicesUp, IReadOnlyList<string> DevicesDown,
    IReadOnlyList<string> FailedDevicesUp, IReadOnlyList<string> FailedDevicesDown);

/// <summary>sync_routers: the routers an L3 agent on <see cref="Host"/> hosts (all, or those named).</summary>
public sealed record SyncRouters(string Host, IReadOnlyList<string>? RouterIds);

public sealed record SyncRoutersReply(IReadOnlyList<RouterInfo> Routers);

public sealed record RouterInfo(string Id, string ProjectId, bool AdminStateUp, bool EnableSnat, RouterPort? GatewayPort,
    IReadOnlyList<RouterPort> Interfaces, IReadOnlyList<FloatingIpInfo> FloatingIps, IReadOnlyList<RouteInfo> Routes);

public sealed record RouterPort(string Id, string NetworkId, string MacAddress, int Mtu, IReadOnlyList<SubnetInfo> Subnets, IReadOnlyList<FixedIp> FixedIps);

public sealed record FloatingIpInfo(string Id, string FloatingIpAddress, string FixedIpAddress, string PortId, string Status);

public sealed record RouteInfo(string Destination, string Nexthop);

/// <summary>get_active_networks_info: the networks a DHCP agent on <see cref="Host"/> serves, with their subnets and ports.</summary>
public sealed record GetActiveNetworksInfo(string Host);

public sealed record ActiveNetworksReply(IReadOnlyList<NetworkInfo> Networks);

public sealed record NetworkInfo(string Id, string ProjectId, bool AdminStateUp, int Mtu, string NetworkType, string? PhysicalNetwork,
    int? SegmentationId, IReadOnlyList<SubnetInfo> Subnets, IReadOnlyList<PortInfo> Ports);

public sealed record SubnetInfo(string Id, string NetworkId, int IpVersion, string Cidr, string? GatewayIp, bool EnableDhcp,
    IReadOnlyList<string> DnsNameservers, IReadOnlyList<RouteInfo> HostRoutes, IReadOnlyList<AllocationPool> AllocationPools);

public sealed record AllocationPool(string Start, string End);

public sealed record PortInfo(string Id, string NetworkId, string MacAddress, string DeviceOwner, string DeviceId, bool AdminStateUp,
    IReadOnlyList<FixedIp> FixedIps);

// ---- Fanouts from the network server to every OVS agent ----

public sealed record PortUpdate(string PortId, string NetworkId, string? HostId, string NetworkType, string? PhysicalNetwork, int? SegmentationId,
    bool AdminStateUp);

public sealed record PortDelete(string PortId, string NetworkId);

public sealed record NetworkUpdate(string NetworkId);

public sealed record NetworkDelete(string NetworkId);

/// <summary>security_group_rule_update: the rules of these groups changed; agents refresh their ports in them.</summary>
public sealed record SecurityGroupRuleUpdate(IReadOnlyList<string> SecurityGroupIds);

// ---- Casts to the agent hosting a network (DHCP) or a router (L3) ----

/// <summary>
/// A change of a network the DHCP agent serves, named as neutron's DHCP notifications are
/// (<c>network_create_end</c>, <c>subnet_update_end</c>, <c>port_delete_end</c>, ...).
/// </summary>
public sealed record DhcpNetworkEvent(string Event, string NetworkId, string? ResourceId);

/// <summary>routers_updated: the agent re-reads these routers with sync_routers.</summary>
public sealed record RoutersUpdated(IReadOnlyList<string> RouterIds);

/// <summary>router_deleted, or router_removed_from_agent: the agent drops the router.</summary>
public sealed record RouterDeleted(string RouterId);
