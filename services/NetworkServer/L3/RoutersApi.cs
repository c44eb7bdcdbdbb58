using System.Data.Common;
using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using NetworkServer.Common;
using NetworkServer.Contracts;
using NetworkServer.Db;
using NetworkServer.Ipam;
using NetworkServer.Networks;
using NetworkServer.Ports;
using NetworkServer.Quotas;
using NetworkServer.Subnets;
using Platform.Data;

namespace NetworkServer.L3;

/// <summary>
/// /v2.0/routers: an external gateway (a port on an external network, with SNAT), interfaces
/// added and removed by subnet or by port, and static routes. Each change is cast to the L3
/// agent hosting the router (one is scheduled when the router is made).
/// </summary>
public static class RoutersApi
{
    public const string InterfaceOwner = "network:router_interface";
    public const string GatewayOwner = "network:router_gateway";

    private static readonly string[] Writable =
        ["name", "description", "admin_state_up", "external_gateway_info", "routes", "project_id", "tenant_id", "distributed", "ha",
         "availability_zone_hints", "flavor_id", "tags"];

    private static readonly Dictionary<string, string> FilterColumns = new()
    {
        ["id"] = "id", ["name"] = "name", ["project_id"] = "project_id", ["tenant_id"] = "project_id", ["status"] = "status", ["admin_state_up"] = "admin_state_up",
    };

    public static void MapRouters(this IEndpointRouteBuilder v2)
    {
        v2.MapPost("/routers", CreateAsync);
        v2.MapGet("/routers", ListAsync);
        v2.MapGet("/routers/{id}", ShowAsync);
        v2.MapPut("/routers/{id}", UpdateAsync);
        v2.MapDelete("/routers/{id}", DeleteAsync);
        v2.MapPut("/routers/{id}/add_router_interface", AddInterfaceAsync);
        v2.MapPut("/routers/{id}/remove_router_interface", RemoveInterfaceAsync);
    }

    public static async Task<Router> FindVisibleAsync(DbConnection c, NeutronAuthz authz, string id, DbTransaction? tx = null, bool forUpdate = false)
    {
        var router = await RowLookup.ByIdAsync<Router>(c, "routers", Router.Columns, id, tx, forUpdate);
        if (router is null || !authz.Allows("get_router", NeutronAuthz.Target(router.ProjectId))) throw NeutronErrors.NotFound("router", id);
        return router;
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, IDbConnectionFactory db, NeutronAuthz authz, PortOperations ports, QuotaEngine quotas, TimeProvider time)
    {
        var body = await NeutronBody.ReadAsync(request, "router", Writable);
        var owner = authz.OwnerFor(body);
        authz.Enforce("create_router", NeutronAuthz.Target(owner));
        var now = time.GetUtcNow().UtcDateTime;
        var router = new Router(Guid.NewGuid().ToString(), owner, body.String("name") ?? "", body.String("description") ?? "", "ACTIVE",
            body.Bool("admin_state_up") ?? true, null, true, "[]", now, now, 1);
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        await quotas.CheckAsync(tx, "router", owner, 1);
        await c.ExecuteAsync($"""
            INSERT INTO routers ({Router.Columns}) VALUES (@Id, @ProjectId, @Name, @Description, @Status, @AdminStateUp, @GwPortId, @EnableSnat, @Routes,
              @CreatedAt, @UpdatedAt, @RevisionNumber)
            """, router, tx);
        if (body.Object("external_gateway_info") is { Count: > 0 } gateway)
            router = await SetGatewayAsync(tx, authz, ports, router, gateway, "create_router");
        await ports.Notifier.RoutersUpdatedAsync(tx, [router.Id]);
        await tx.CommitAsync();
        ports.Notifier.Flush();
        return Results.Json(new { router = (await ViewsAsync(c, [router]))[0] }, statusCode: StatusCodes.Status201Created);
    }

    /// <summary>Sets (or with an empty object, clears) the router's gateway: a port on the external network it names.</summary>
    private static async Task<Router> SetGatewayAsync(DbTransaction tx, NeutronAuthz authz, PortOperations ports, Router router, JsonObject? info, string action)
    {
        var c = tx.Connection!;
        var body = NeutronBody.Of("external_gateway_info", info ?? []);
        var target = NeutronAuthz.Target(router.ProjectId);
        if (body.Has("enable_snat")) authz.Enforce($"{action}:external_gateway_info:enable_snat", target);
        if (body.Has("external_fixed_ips")) authz.Enforce($"{action}:external_gateway_info:external_fixed_ips", target);
        var networkId = body.Uuid("network_id");
        var current = router.GwPortId is { } gw ? await PortOperations.GetAsync(c, gw, tx) : null;
        if (current is not null && (networkId is null || networkId != current.NetworkId))
        {
            if (await c.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM floatingips WHERE router_id = @id", new { id = router.Id }, tx) > 0)
                throw NeutronErrors.Conflict("RouterExternalGatewayInUseByFloatingIp",
                    $"Gateway cannot be updated for router {router.Id}, since a gateway to external network {current.NetworkId} is required by one or more floating IPs.");
            await ports.DeleteAsync(tx, current);
            router = router with { GwPortId = null };
        }
        if (networkId is not null && (current is null || networkId != current.NetworkId))
        {
            var network = await NetworksApi.GetAsync(c, networkId, tx);
            if (network is null || !authz.Allows("get_network", NetworksApi.Target(network))) throw NeutronErrors.NotFound("network", networkId);
            if (!network.RouterExternal)
                throw NeutronErrors.BadRequest("BadRequest", $"Bad router request: Network {networkId} is not a valid external network.");
            List<FixedIpRequest>? fixedIps = null;
            if (body.Array("external_fixed_ips") is { } given)
                fixedIps = [.. given.OfType<JsonObject>().Select(o => new FixedIpRequest(NeutronBody.StringIn(o, "subnet_id", "external_fixed_ips"), NeutronBody.StringIn(o, "ip_address", "external_fixed_ips")))];
            var port = await ports.CreateAsync(tx, new PortRequest("", network)
            {
                DeviceId = router.Id,
                DeviceOwner = GatewayOwner,
                FixedIps = fixedIps,
                PortSecurityEnabled = false,
            });
            router = router with { GwPortId = port.Id };
        }
        router = router with { EnableSnat = body.Bool("enable_snat") ?? (router.GwPortId is null ? true : router.EnableSnat) };
        await c.ExecuteAsync("UPDATE routers SET gw_port_id = @GwPortId, enable_snat = @EnableSnat WHERE id = @Id", router, tx);
        return router;
    }

    private static async Task<IResult> ListAsync(HttpRequest request, IDbConnectionFactory db, NeutronAuthz authz)
    {
        var (where, args) = NeutronList.Where(request, authz, "project_id = @project", FilterColumns);
        await using var c = await db.OpenAsync();
        var routers = (await c.QueryAsync<Router>($"SELECT {Router.Columns} FROM routers WHERE {where} ORDER BY id", args)).ToList();
        return Results.Json(NeutronList.Shape(request, "routers", await ViewsAsync(c, routers)));
    }

    private static async Task<IResult> ShowAsync(string id, HttpRequest request, IDbConnectionFactory db, NeutronAuthz authz)
    {
        await using var c = await db.OpenAsync();
        var router = await FindVisibleAsync(c, authz, id);
        return Results.Json(new { router = NeutronList.Single(request, (await ViewsAsync(c, [router]))[0]) });
    }

    private static async Task<IResult> UpdateAsync(string id, HttpRequest request, IDbConnectionFactory db, NeutronAuthz authz, PortOperations ports, TimeProvider time)
    {
        var body = await NeutronBody.ReadAsync(request, "router", Writable);
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        var router = await FindVisibleAsync(c, authz, id, tx, forUpdate: true);
        authz.Enforce("update_router", NeutronAuthz.Target(router.ProjectId));
        if (body.Has("external_gateway_info"))
            router = await SetGatewayAsync(tx, authz, ports, router, body.Object("external_gateway_info"), "update_router");
        var routes = router.Routes;
        if (body.Array("routes") is { } asked)
        {
            var subnets = await c.QueryAsync<string>("""
                SELECT s.cidr FROM ports p JOIN ipallocations a ON a.port_id = p.id JOIN subnets s ON s.id = a.subnet_id
                WHERE p.device_id = @id AND p.device_owner IN ('network:router_interface', 'network:router_gateway')
                """, new { id = router.Id }, tx);
            var cidrs = subnets.Select(s => IPNetwork.Parse(s)).ToList();
            var list = new List<RouteInfo>();
            foreach (var node in asked)
            {
                if (node is not JsonObject o || NeutronBody.StringIn(o, "destination", "routes") is not { } d || NeutronBody.StringIn(o, "nexthop", "routes") is not { } h)
                    throw NeutronErrors.BadAttribute("routes", $"'{asked.ToJsonString()}' is not a valid list of routes");
                var destination = IpAddressing.ParseCidr(d, "routes");
                var nexthop = IpAddressing.ParseAddress(h, "routes");
                if (!cidrs.Any(c2 => c2.Contains(nexthop)))
                    throw NeutronErrors.BadRequest("InvalidRoutes", $"Invalid format for routes: [{{'destination': '{d}', 'nexthop': '{h}'}}], the nexthop is not connected with router");
                list.Add(new RouteInfo(destination.ToString(), nexthop.ToString()));
            }
            routes = Json.Write(list);
        }
        router = router with
        {
            Name = body.String("name") ?? router.Name,
            Description = body.String("description") ?? router.Description,
            AdminStateUp = body.Bool("admin_state_up") ?? router.AdminStateUp,
            Routes = routes,
            UpdatedAt = time.GetUtcNow().UtcDateTime,
            RevisionNumber = router.RevisionNumber + 1,
        };
        await c.ExecuteAsync("""
            UPDATE routers SET name = @Name, description = @Description, admin_state_up = @AdminStateUp, routes = @Routes, updated_at = @UpdatedAt,
              revision_number = @RevisionNumber WHERE id = @Id
            """, router, tx);
        await ports.Notifier.RoutersUpdatedAsync(tx, [router.Id]);
        await tx.CommitAsync();
        ports.Notifier.Flush();
        return Results.Json(new { router = (await ViewsAsync(c, [router]))[0] });
    }

    private static async Task<IResult> DeleteAsync(string id, IDbConnectionFactory db, NeutronAuthz authz, PortOperations ports)
    {
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        var router = await FindVisibleAsync(c, authz, id, tx, forUpdate: true);
        authz.Enforce("delete_router", NeutronAuthz.Target(router.ProjectId));
        if (await c.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM ports WHERE device_id = @id AND device_owner = @owner", new { id = router.Id, owner = InterfaceOwner }, tx) > 0)
            throw NeutronErrors.Conflict("RouterInUse", $"Router {router.Id} still has ports");
        if (router.GwPortId is { } gw && await PortOperations.GetAsync(c, gw, tx) is { } port) await ports.DeleteAsync(tx, port);
        await ports.Notifier.RouterDeletedAsync(tx, router.Id);
        await c.ExecuteAsync("DELETE FROM routers WHERE id = @id", new { id = router.Id }, tx);
        await tx.CommitAsync();
        ports.Notifier.Flush();
        return Results.NoContent();
    }

    private static async Task<IResult> AddInterfaceAsync(string id, HttpRequest request, IDbConnectionFactory db, NeutronAuthz authz, PortOperations ports, TimeProvider time)
    {
        var body = NeutronBody.Of("router", await NeutronBody.ReadRawAsync(request));
        var subnetId = body.Uuid("subnet_id");
        var portId = body.Uuid("port_id");
        if ((subnetId is null) == (portId is null))
            throw NeutronErrors.BadRequest("BadRequest", "Bad router request: Either subnet_id or port_id must be specified.");
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        var router = await FindVisibleAsync(c, authz, id, tx, forUpdate: true);
        authz.Enforce("add_router_interface", NeutronAuthz.Target(router.ProjectId));
        Port port;
        Subnet subnet;
        if (subnetId is not null)
        {
            (subnet, var network) = await SubnetsApi.FindVisibleAsync(c, authz, subnetId, tx);
            if (subnet.GatewayIp is null)
                throw NeutronErrors.BadRequest("BadRequest", $"Bad router request: Subnet for router interface must have a gateway IP.");
            await EnsureNotAttachedAsync(tx, router, subnet);
            port = await ports.CreateAsync(tx, new PortRequest(router.ProjectId, network)
            {
                DeviceId = router.Id,
                DeviceOwner = InterfaceOwner,
                FixedIps = [new FixedIpRequest(subnet.Id, subnet.GatewayIp)],
                PortSecurityEnabled = false,
            });
        }
        else
        {
            (port, var network) = await PortsApi.FindVisibleAsync(c, authz, portId!, tx, forUpdate: true);
            if (port.DeviceId.Length > 0)
                throw NeutronErrors.Conflict("PortInUse", $"Unable to complete operation on port {port.Id} for network {port.NetworkId}. Port already has an attached device {port.DeviceId}.");
            var ips = (await PortOperations.FixedIpsAsync(c, [port.Id], tx))[port.Id].ToList();
            if (ips.Count == 0) throw NeutronErrors.BadRequest("BadRequest", $"Bad router request: Router port must have at least one fixed IP.");
            subnet = (await SubnetsApi.FindVisibleAsync(c, authz, ips[0].SubnetId, tx)).Subnet;
            await EnsureNotAttachedAsync(tx, router, subnet);
            port = port with { DeviceId = router.Id, DeviceOwner = InterfaceOwner, UpdatedAt = time.GetUtcNow().UtcDateTime };
            await c.ExecuteAsync("UPDATE ports SET device_id = @DeviceId, device_owner = @DeviceOwner, updated_at = @UpdatedAt WHERE id = @Id", port, tx);
            await c.ExecuteAsync("DELETE FROM securitygroupportbindings WHERE port_id = @id", new { id = port.Id }, tx);
            await ports.Notifier.PortUpdatedAsync(tx, port, network);
        }
        await ports.Notifier.RoutersUpdatedAsync(tx, [router.Id]);
        await tx.CommitAsync();
        ports.Notifier.Flush();
        return Results.Json(InterfaceInfo(router, port, subnet));
    }

    private static async Task EnsureNotAttachedAsync(DbTransaction tx, Router router, Subnet subnet)
    {
        var cidr = IPNetwork.Parse(subnet.Cidr);
        var attached = await tx.Connection!.QueryAsync<(string SubnetId, string Cidr)>("""
            SELECT s.id, s.cidr FROM ports p JOIN ipallocations a ON a.port_id = p.id JOIN subnets s ON s.id = a.subnet_id
            WHERE p.device_id = @id AND p.device_owner = @owner
            """, new { id = router.Id, owner = InterfaceOwner }, tx);
        foreach (var (otherId, otherCidr) in attached)
        {
            if (otherId == subnet.Id)
                throw NeutronErrors.BadRequest("BadRequest", $"Bad router request: Router already has a port on subnet {subnet.Id}.");
            if (IpAddressing.Overlap(IPNetwork.Parse(otherCidr), cidr))
                throw NeutronErrors.BadRequest("BadRequest", $"Bad router request: Cidr {subnet.Cidr} of subnet {subnet.Id} overlaps with cidr {otherCidr} of subnet {otherId}.");
        }
    }

    private static async Task<IResult> RemoveInterfaceAsync(string id, HttpRequest request, IDbConnectionFactory db, NeutronAuthz authz, PortOperations ports)
    {
        var body = NeutronBody.Of("router", await NeutronBody.ReadRawAsync(request));
        var subnetId = body.Uuid("subnet_id");
        var portId = body.Uuid("port_id");
        if (subnetId is null && portId is null)
            throw NeutronErrors.BadRequest("BadRequest", "Bad router request: Either subnet_id or port_id must be specified.");
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        var router = await FindVisibleAsync(c, authz, id, tx, forUpdate: true);
        authz.Enforce("remove_router_interface", NeutronAuthz.Target(router.ProjectId));
        var candidates = (await c.QueryAsync<Port>($"SELECT {Port.Columns} FROM ports WHERE device_id = @id AND device_owner = @owner FOR UPDATE",
            new { id = router.Id, owner = InterfaceOwner }, tx)).ToList();
        var ips = await PortOperations.FixedIpsAsync(c, candidates.Select(p => p.Id).ToList(), tx);
        var port = candidates.FirstOrDefault(p => (portId is null || p.Id == portId) && (subnetId is null || ips[p.Id].Any(a => a.SubnetId == subnetId)));
        if (port is null)
            throw portId is not null
                ? NeutronErrors.NotFoundAs("RouterInterfaceNotFound", $"Router {router.Id} does not have an interface with id {portId}.")
                : NeutronErrors.NotFoundAs("RouterInterfaceNotFoundForSubnet", $"Router {router.Id} has no interface on subnet {subnetId}.");
        var subnetIds = ips[port.Id].Select(a => a.SubnetId).ToList();
        var subnets = (await c.QueryAsync<Subnet>($"SELECT {Subnet.Columns} FROM subnets WHERE id IN @subnetIds", new { subnetIds }, tx)).ToList();
        var cidrs = subnets.Select(s => IPNetwork.Parse(s.Cidr)).ToList();
        var floating = await c.QueryAsync<string>("SELECT fixed_ip_address FROM floatingips WHERE router_id = @id AND fixed_ip_address IS NOT NULL", new { id = router.Id }, tx);
        if (floating.Any(ip => cidrs.Any(cidr => cidr.Contains(IPAddress.Parse(ip)))))
            throw NeutronErrors.Conflict("RouterInterfaceInUseByFloatingIP",
                $"Router interface for subnet {subnetIds.First()} on router {router.Id} cannot be deleted, as it is required by one or more floating IPs.");
        await ports.DeleteAsync(tx, port);
        await ports.Notifier.RoutersUpdatedAsync(tx, [router.Id]);
        await tx.CommitAsync();
        ports.Notifier.Flush();
        return Results.Json(InterfaceInfo(router, port, subnets.FirstOrDefault()));
    }

    private static Dictionary<string, object?> InterfaceInfo(Router router, Port port, Subnet? subnet) => new()
    {
        ["id"] = router.Id,
        ["tenant_id"] = router.ProjectId,
        ["project_id"] = router.ProjectId,
        ["port_id"] = port.Id,
        ["network_id"] = port.NetworkId,
        ["subnet_id"] = subnet?.Id,
        ["subnet_ids"] = subnet is null ? Array.Empty<string>() : new[] { subnet.Id },
    };

    public static async Task<List<Dictionary<string, object?>>> ViewsAsync(DbConnection c, IReadOnlyList<Router> routers)
    {
        var gwPorts = routers.Where(r => r.GwPortId is not null).Select(r => r.GwPortId!).ToList();
        var gwNetworks = gwPorts.Count == 0 ? [] : (await c.QueryAsync<(string Id, string NetworkId)>("SELECT id, network_id FROM ports WHERE id IN @gwPorts", new { gwPorts }))
            .ToDictionary(p => p.Id, p => p.NetworkId);
        var ips = await PortOperations.FixedIpsAsync(c, gwPorts);
        return [.. routers.Select(r => new Dictionary<string, object?>
        {
            ["id"] = r.Id,
            ["name"] = r.Name,
            ["description"] = r.Description,
            ["tenant_id"] = r.ProjectId,
            ["project_id"] = r.ProjectId,
            ["status"] = r.Status,
            ["admin_state_up"] = r.AdminStateUp,
            ["external_gateway_info"] = r.GwPortId is { } gw && gwNetworks.TryGetValue(gw, out var net)
                ? new Dictionary<string, object?>
                {
                    ["network_id"] = net,
                    ["enable_snat"] = r.EnableSnat,
                    ["external_fixed_ips"] = ips[gw].Select(a => new Dictionary<string, object?> { ["subnet_id"] = a.SubnetId, ["ip_address"] = a.IpAddress }).ToList(),
                }
                : null,
            ["routes"] = Json.Read<List<RouteInfo>>(r.Routes),
            ["distributed"] = false,
            ["ha"] = false,
            ["availability_zone_hints"] = Array.Empty<string>(),
            ["availability_zones"] = new[] { "nova" },
            ["flavor_id"] = null,
            ["tags"] = Array.Empty<string>(),
            ["created_at"] = Json.Time(r.CreatedAt),
            ["updated_at"] = Json.Time(r.UpdatedAt),
            ["revision_number"] = r.RevisionNumber,
        })];
    }
}
