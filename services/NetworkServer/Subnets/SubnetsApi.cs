using System.Data.Common;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Dapper;
using NetworkServer.Agents;
using NetworkServer.Common;
using NetworkServer.Db;
using NetworkServer.Ipam;
using NetworkServer.Networks;
using NetworkServer.Quotas;
using Platform.Data;

namespace NetworkServer.Subnets;

/// <summary>
/// /v2.0/subnets: IPv4 and IPv6 CIDRs (given, or carved from a subnet pool), gateway,
/// allocation pools, DHCP, DNS servers and host routes, with neutron's rules: CIDRs never
/// overlap within a network (they may across networks), the gateway lies on the subnet and
/// outside the pools.
/// </summary>
public static class SubnetsApi
{
    private static readonly string[] Writable =
        ["name", "description", "network_id", "ip_version", "cidr", "gateway_ip", "enable_dhcp", "dns_nameservers", "host_routes", "allocation_pools",
         "ipv6_ra_mode", "ipv6_address_mode", "subnetpool_id", "prefixlen", "project_id", "tenant_id", "use_default_subnetpool", "service_types", "segment_id"];

    private static readonly Dictionary<string, string> FilterColumns = new()
    {
        ["id"] = "s.id", ["name"] = "s.name", ["network_id"] = "s.network_id", ["project_id"] = "s.project_id", ["tenant_id"] = "s.project_id",
        ["cidr"] = "s.cidr", ["ip_version"] = "s.ip_version", ["subnetpool_id"] = "s.subnetpool_id", ["enable_dhcp"] = "s.enable_dhcp",
    };

    private static readonly string[] Ipv6Modes = ["slaac", "dhcpv6-stateful", "dhcpv6-stateless"];

    public static void MapSubnets(this IEndpointRouteBuilder v2)
    {
        v2.MapPost("/subnets", CreateAsync);
        v2.MapGet("/subnets", ListAsync);
        v2.MapGet("/subnets/{id}", ShowAsync);
        v2.MapPut("/subnets/{id}", UpdateAsync);
        v2.MapDelete("/subnets/{id}", DeleteAsync);
    }

    private const string Select = $"SELECT s.id, s.project_id, s.network_id, s.name, s.description, s.ip_version, s.cidr, s.gateway_ip, s.enable_dhcp, s.ipv6_ra_mode, s.ipv6_address_mode, s.subnetpool_id, s.dns_nameservers, s.host_routes, s.allocation_pools, s.created_at, s.updated_at, s.revision_number FROM subnets s JOIN networks n ON n.id = s.network_id";

    public static async Task<(Subnet Subnet, Network Network)> FindVisibleAsync(DbConnection c, NeutronAuthz authz, string id, DbTransaction? tx = null)
    {
        var subnet = await RowLookup.ByIdAsync<Subnet>(c, "subnets", Subnet.Columns, id, tx);
        var network = subnet is null ? null : await NetworksApi.GetAsync(c, subnet.NetworkId, tx);
        if (subnet is null || network is null || !authz.Allows("get_subnet", Target(subnet, network))) throw NeutronErrors.NotFound("subnet", id);
        return (subnet, network);
    }

    private static Dictionary<string, object?> Target(Subnet s, Network n) => NeutronAuthz.Target(s.ProjectId, n.Shared, n.RouterExternal);

    private static async Task<IResult> CreateAsync(HttpRequest request, IDbConnectionFactory db, NeutronAuthz authz, AgentNotifier notifier,
        QuotaEngine quotas, IConfiguration configuration, TimeProvider time)
    {
        var body = await NeutronBody.ReadAsync(request, "subnet", Writable);
        var networkId = body.RequiredUuid("network_id");
        var ipVersion = body.Int("ip_version") ?? throw NeutronErrors.BadRequest("HTTPBadRequest", "Failed to parse request. Required attribute 'ip_version' not specified");
        if (ipVersion is not (4 or 6)) throw NeutronErrors.BadAttribute("ip_version", $"{ipVersion} is not in [4, 6]");
        var owner = authz.OwnerFor(body);
        var poolId = body.Uuid("subnetpool_id");
        var cidrText = body.String("cidr");
        if (cidrText is null && poolId is null) throw NeutronErrors.BadRequest("BadRequest", "Bad subnets request: a cidr must be specified in the absence of a subnet pool.");
        var raMode = body.String("ipv6_ra_mode");
        var addressMode = body.String("ipv6_address_mode");
        foreach (var (name, mode) in new[] { ("ipv6_ra_mode", raMode), ("ipv6_address_mode", addressMode) })
        {
            if (mode is null) continue;
            if (!Ipv6Modes.Contains(mode)) throw NeutronErrors.BadAttribute(name, $"'{mode}' is not in {string.Join(", ", Ipv6Modes)}");
            if (ipVersion != 6) throw NeutronErrors.InvalidInput($"{name} is not valid when ip_version is 4");
        }
        var dns = Nameservers(body, ipVersion) ?? [];
        var routes = HostRoutes(body, ipVersion) ?? [];
        var enableDhcp = body.Bool("enable_dhcp") ?? true;
        var now = time.GetUtcNow().UtcDateTime;

        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        // The network row locked: subnets of one network are made one at a time, so two
        // overlapping CIDRs cannot both pass the check.
        var network = await NetworksApi.FindVisibleAsync(c, authz, networkId, tx, forUpdate: true);
        authz.Enforce("create_subnet", NeutronAuthz.Target(network.ProjectId, network.Shared, network.RouterExternal));
        if (!authz.IsAdmin && network.ProjectId != owner)
            throw NeutronErrors.Forbidden("create_subnet");

        IPNetwork cidr;
        if (poolId is not null)
            cidr = await SubnetPoolsApi.AllocatePrefixAsync(tx, authz, poolId, ipVersion, cidrText, body.Int("prefixlen"));
        else
            cidr = IpAddressing.ParseCidr(cidrText!);
        if (IpAddressing.Version(cidr.BaseAddress) != ipVersion)
            throw NeutronErrors.InvalidInput("Cidr " + cidr + " does not match the ip_version " + ipVersion);
        if (enableDhcp && ipVersion == 4 && IpAddressing.ToNumber(cidr.BaseAddress) == 0)
            throw NeutronErrors.InvalidInput("First IP '0.0.0.0' of network is not supported if enable_dhcp is True");

        foreach (var other in await c.QueryAsync<string>("SELECT cidr FROM subnets WHERE network_id = @networkId", new { networkId }, tx))
            if (IpAddressing.Overlap(IPNetwork.Parse(other), cidr))
                throw NeutronErrors.InvalidInput($"Requested subnet with cidr: {cidr} for network: {networkId} overlaps with another subnet");

        var gateway = Gateway(body, cidr, configuration);
        var pools = body.Array("allocation_pools") is { } given
            ? IpAddressing.CheckPools(cidr, ReadPools(given), gateway)
            : IpAddressing.DefaultPools(cidr, gateway);
        var subnet = new Subnet(Guid.NewGuid().ToString(), owner, networkId, body.String("name") ?? "", body.String("description") ?? "", ipVersion,
            cidr.ToString(), gateway?.ToString(), enableDhcp, raMode, addressMode, poolId, Json.Write(dns), Json.Write(routes), Json.Write(pools), now, now, 1);
        await quotas.CheckAsync(tx, "subnet", owner, 1);
        await c.ExecuteAsync($"""
            INSERT INTO subnets ({Subnet.Columns}) VALUES (@Id, @ProjectId, @NetworkId, @Name, @Description, @IpVersion, @Cidr, @GatewayIp, @EnableDhcp,
              @Ipv6RaMode, @Ipv6AddressMode, @SubnetpoolId, @DnsNameservers, @HostRoutes, @AllocationPools, @CreatedAt, @UpdatedAt, @RevisionNumber)
            """, subnet, tx);
        await notifier.SubnetChangedAsync(tx, "subnet_create_end", subnet);
        await tx.CommitAsync();
        notifier.Flush();
        return Results.Json(new { subnet = View(subnet) }, statusCode: StatusCodes.Status201Created);
    }

    private static IPAddress? Gateway(NeutronBody body, IPNetwork cidr, IConfiguration configuration)
    {
        if (!body.Has("gateway_ip"))
        {
            var (first, last) = IpAddressing.Bounds(cidr);
            return first == last ? null : IpAddressing.FromNumber(first + 1, cidr.BaseAddress.AddressFamily);
        }
        if (body.String("gateway_ip") is not { } text) return null;
        var gateway = IpAddressing.ParseAddress(text, "gateway_ip");
        if (gateway.AddressFamily != cidr.BaseAddress.AddressFamily)
            throw NeutronErrors.InvalidInput($"gateway_ip '{text}' does not match the ip_version '{IpAddressing.Version(cidr.BaseAddress)}'");
        var (lo, hi) = IpAddressing.Bounds(cidr);
        var g = IpAddressing.ToNumber(gateway);
        var onNetworkOrBroadcast = cidr.Contains(gateway) && gateway.AddressFamily == AddressFamily.InterNetwork && (g == lo || g == hi) && cidr.PrefixLength < 31;
        // A gateway off the subnet is refused unless force_gateway_on_subnet is turned off.
        var forceOnSubnet = configuration["force_gateway_on_subnet"] is not ("false" or "False");
        if (onNetworkOrBroadcast || (forceOnSubnet && !cidr.Contains(gateway)))
            throw NeutronErrors.InvalidInput("Gateway is not valid on subnet");
        return gateway;
    }

    private static List<Pool> ReadPools(JsonArray given) =>
        [.. given.Select(p => p is JsonObject o && NeutronBody.StringIn(o, "start", "allocation_pools") is { } s && NeutronBody.StringIn(o, "end", "allocation_pools") is { } e
            ? new Pool(s, e) : throw NeutronErrors.BadAttribute("allocation_pools", $"'{given.ToJsonString()}' is not a valid allocation pool list"))];

    private static List<string>? Nameservers(NeutronBody body, int ipVersion)
    {
        var list = body.Strings("dns_nameservers");
        if (list is null) return null;
        foreach (var ns in list) IpAddressing.ParseAddress(ns, "dns_nameservers");
        if (list.Distinct().Count() != list.Count) throw NeutronErrors.BadAttribute("dns_nameservers", $"Duplicate nameserver '{list.GroupBy(x => x).First(g => g.Count() > 1).Key}'");
        return list;
    }

    private static List<Contracts.RouteInfo>? HostRoutes(NeutronBody body, int ipVersion)
    {
        if (body.Array("host_routes") is not { } array) return null;
        var routes = new List<Contracts.RouteInfo>();
        foreach (var node in array)
        {
            if (node is not JsonObject o || NeutronBody.StringIn(o, "destination", "host_routes") is not { } destination || NeutronBody.StringIn(o, "nexthop", "host_routes") is not { } nexthop)
                throw NeutronErrors.BadAttribute("host_routes", $"'{array.ToJsonString()}' is not a valid list of host routes");
            var dest = IpAddressing.ParseCidr(destination, "host_routes");
            var hop = IpAddressing.ParseAddress(nexthop, "host_routes");
            if (IpAddressing.Version(dest.BaseAddress) != ipVersion || IpAddressing.Version(hop) != ipVersion)
                throw NeutronErrors.InvalidInput($"Host route {destination} via {nexthop} does not match the subnet's ip_version {ipVersion}");
            routes.Add(new Contracts.RouteInfo(dest.ToString(), hop.ToString()));
        }
        return routes;
    }

    private static async Task<IResult> ListAsync(HttpRequest request, IDbConnectionFactory db, NeutronAuthz authz)
    {
        var (where, args) = NeutronList.Where(request, authz, "(s.project_id = @project OR n.project_id = @project OR n.shared OR n.router_external)", FilterColumns);
        await using var c = await db.OpenAsync();
        var subnets = await c.QueryAsync<Subnet>($"{Select} WHERE {where} ORDER BY s.id", args);
        return Results.Json(NeutronList.Shape(request, "subnets", subnets.Select(View)));
    }

    private static async Task<IResult> ShowAsync(string id, HttpRequest request, IDbConnectionFactory db, NeutronAuthz authz)
    {
        await using var c = await db.OpenAsync();
        var (subnet, _) = await FindVisibleAsync(c, authz, id);
        return Results.Json(new { subnet = NeutronList.Single(request, View(subnet)) });
    }

    private static async Task<IResult> UpdateAsync(string id, HttpRequest request, IDbConnectionFactory db, NeutronAuthz authz, AgentNotifier notifier,
        IConfiguration configuration, TimeProvider time)
    {
        var body = await NeutronBody.ReadAsync(request, "subnet", ["name", "description", "gateway_ip", "enable_dhcp", "dns_nameservers", "host_routes", "allocation_pools", "service_types"]);
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        var (subnet, network) = await FindVisibleAsync(c, authz, id, tx);
        authz.Enforce("update_subnet", Target(subnet, network));
        var cidr = IPNetwork.Parse(subnet.Cidr);
        var gateway = body.Has("gateway_ip") ? Gateway(body, cidr, configuration) : subnet.GatewayIp is null ? null : IPAddress.Parse(subnet.GatewayIp);
        // A new gateway or new pools: checked together, so the gateway never lands in a pool.
        var pools = body.Array("allocation_pools") is { } given ? IpAddressing.CheckPools(cidr, ReadPools(given), gateway)
            : body.Has("gateway_ip") ? IpAddressing.CheckPools(cidr, subnet.Pools, gateway) : subnet.Pools;
        var updated = subnet with
        {
            Name = body.String("name") ?? subnet.Name,
            Description = body.String("description") ?? subnet.Description,
            GatewayIp = gateway?.ToString(),
            EnableDhcp = body.Bool("enable_dhcp") ?? subnet.EnableDhcp,
            DnsNameservers = Nameservers(body, subnet.IpVersion) is { } dns ? Json.Write(dns) : subnet.DnsNameservers,
            HostRoutes = HostRoutes(body, subnet.IpVersion) is { } routes ? Json.Write(routes) : subnet.HostRoutes,
            AllocationPools = Json.Write(pools),
            UpdatedAt = time.GetUtcNow().UtcDateTime,
            RevisionNumber = subnet.RevisionNumber + 1,
        };
        await c.ExecuteAsync("""
            UPDATE subnets SET name = @Name, description = @Description, gateway_ip = @GatewayIp, enable_dhcp = @EnableDhcp, dns_nameservers = @DnsNameservers,
              host_routes = @HostRoutes, allocation_pools = @AllocationPools, updated_at = @UpdatedAt, revision_number = @RevisionNumber WHERE id = @Id
            """, updated, tx);
        await notifier.SubnetChangedAsync(tx, "subnet_update_end", updated);
        await tx.CommitAsync();
        notifier.Flush();
        return Results.Json(new { subnet = View(updated) });
    }

    private static async Task<IResult> DeleteAsync(string id, IDbConnectionFactory db, NeutronAuthz authz, AgentNotifier notifier)
    {
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        var (subnet, network) = await FindVisibleAsync(c, authz, id, tx);
        authz.Enforce("delete_subnet", Target(subnet, network));
        await NetworksApi.GetAsync(c, network.Id, tx, forUpdate: true);
        if (await c.ExecuteScalarAsync<int>("""
            SELECT COUNT(*) FROM ipallocations a JOIN ports p ON p.id = a.port_id WHERE a.subnet_id = @id AND p.device_owner <> 'network:dhcp'
            """, new { id = subnet.Id }, tx) > 0)
            throw NeutronErrors.Conflict("SubnetInUse", $"Unable to complete operation on subnet {subnet.Id}: One or more ports have an IP allocation from this subnet.");
        await c.ExecuteAsync("DELETE FROM ipallocations WHERE subnet_id = @id; DELETE FROM subnets WHERE id = @id;", new { id = subnet.Id }, tx);
        await notifier.SubnetChangedAsync(tx, "subnet_delete_end", subnet);
        await tx.CommitAsync();
        notifier.Flush();
        return Results.NoContent();
    }

    public static Dictionary<string, object?> View(Subnet s) => new()
    {
        ["id"] = s.Id,
        ["name"] = s.Name,
        ["description"] = s.Description,
        ["network_id"] = s.NetworkId,
        ["tenant_id"] = s.ProjectId,
        ["project_id"] = s.ProjectId,
        ["ip_version"] = s.IpVersion,
        ["cidr"] = s.Cidr,
        ["gateway_ip"] = s.GatewayIp,
        ["enable_dhcp"] = s.EnableDhcp,
        ["ipv6_ra_mode"] = s.Ipv6RaMode,
        ["ipv6_address_mode"] = s.Ipv6AddressMode,
        ["subnetpool_id"] = s.SubnetpoolId,
        ["dns_nameservers"] = Json.Read<List<string>>(s.DnsNameservers),
        ["host_routes"] = Json.Read<List<Contracts.RouteInfo>>(s.HostRoutes),
        ["allocation_pools"] = s.Pools,
        ["service_types"] = Array.Empty<string>(),
        ["segment_id"] = null,
        ["dns_publish_fixed_ip"] = false,
        ["tags"] = Array.Empty<string>(),
        ["created_at"] = Json.Time(s.CreatedAt),
        ["updated_at"] = Json.Time(s.UpdatedAt),
        ["revision_number"] = s.RevisionNumber,
    };
}
