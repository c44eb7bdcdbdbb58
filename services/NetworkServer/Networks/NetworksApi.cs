using System.Data.Common;
using Dapper;
using NetworkServer.Agents;
using NetworkServer.Common;
using NetworkServer.Db;
using NetworkServer.Ml2;
using Platform.Data;

namespace NetworkServer.Networks;

/// <summary>/v2.0/networks, with the provider, external-net, port-security and MTU extensions.</summary>
public static class NetworksApi
{
    private static readonly string[] Writable =
        ["name", "description", "admin_state_up", "shared", "router:external", "port_security_enabled", "mtu", "project_id", "tenant_id",
         "provider:network_type", "provider:physical_network", "provider:segmentation_id", "availability_zone_hints", "is_default", "dns_domain"];

    private static readonly Dictionary<string, string> FilterColumns = new()
    {
        ["id"] = "n.id", ["name"] = "n.name", ["project_id"] = "n.project_id", ["tenant_id"] = "n.project_id", ["status"] = "n.status",
        ["shared"] = "n.shared", ["router:external"] = "n.router_external", ["admin_state_up"] = "n.admin_state_up",
    };

    public static void MapNetworks(this IEndpointRouteBuilder v2)
    {
        v2.MapPost("/networks", CreateAsync);
        v2.MapGet("/networks", ListAsync);
        v2.MapGet("/networks/{id}", ShowAsync);
        v2.MapPut("/networks/{id}", UpdateAsync);
        v2.MapDelete("/networks/{id}", DeleteAsync);
    }

    public static async Task<Network?> GetAsync(DbConnection c, string id, DbTransaction? tx = null, bool forUpdate = false) =>
        await RowLookup.ByIdAsync<Network>(c, "networks", Network.Columns, id, tx, forUpdate);

    public static Dictionary<string, object?> Target(Network n) => NeutronAuthz.Target(n.ProjectId, n.Shared, n.RouterExternal);

    /// <summary>The network if the caller may read it; 404 otherwise, as neutron answers.</summary>
    public static async Task<Network> FindVisibleAsync(DbConnection c, NeutronAuthz authz, string id, DbTransaction? tx = null, bool forUpdate = false)
    {
        var network = await GetAsync(c, id, tx, forUpdate);
        if (network is null || !authz.Allows("get_network", Target(network))) throw NeutronErrors.NotFound("network", id);
        return network;
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, IDbConnectionFactory db, NeutronAuthz authz, TypeManager types, Quotas.QuotaEngine quotas, TimeProvider time)
    {
        var body = await NeutronBody.ReadAsync(request, "network", Writable);
        var owner = authz.OwnerFor(body);
        var shared = body.Bool("shared") ?? false;
        var external = body.Bool("router:external") ?? false;
        var target = NeutronAuthz.Target(owner, shared, external);
        authz.Enforce("create_network", target);
        foreach (var attribute in new[] { "provider:network_type", "provider:physical_network", "provider:segmentation_id", "router:external", "shared" })
            if (body.Has(attribute)) authz.Enforce($"create_network:{attribute}", target);

        var type = body.String("provider:network_type");
        var physnet = body.String("provider:physical_network");
        var segId = body.Int("provider:segmentation_id");
        if (type is null && (physnet is not null || segId is not null))
            throw NeutronErrors.InvalidInput("provider:network_type required");
        var name = body.String("name") ?? "";
        var description = body.String("description") ?? "";
        var adminUp = body.Bool("admin_state_up") ?? true;
        var portSecurity = body.Bool("port_security_enabled") ?? true;
        var askedMtu = body.Int("mtu");
        var id = Guid.NewGuid().ToString();
        var now = time.GetUtcNow().UtcDateTime;

        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        var segment = type is null
            ? await types.CreateTenantSegmentAsync(tx, id)
            : await types.CreateProviderSegmentAsync(tx, new Segment(type, physnet, segId), id);
        var maxMtu = types.Mtu(segment);
        if (askedMtu is { } m && (m > maxMtu || m < 68))
            throw NeutronErrors.InvalidInput(m > maxMtu ? $"Requested MTU is too big, maximum is {maxMtu}" : "Requested MTU is too small");
        var network = new Network(id, owner, name, description, "ACTIVE", adminUp, shared, external, portSecurity, askedMtu ?? maxMtu,
            segment.NetworkType, segment.PhysicalNetwork, segment.SegmentationId, now, now, 1);
        await quotas.CheckAsync(tx, "network", owner, 1);
        await c.ExecuteAsync($"""
            INSERT INTO networks ({Network.Columns}) VALUES (@Id, @ProjectId, @Name, @Description, @Status, @AdminStateUp, @Shared, @RouterExternal,
              @PortSecurityEnabled, @Mtu, @NetworkType, @PhysicalNetwork, @SegmentationId, @CreatedAt, @UpdatedAt, @RevisionNumber)
            """, network, tx);
        await tx.CommitAsync();
        return Results.Json(new { network = View(network, [], authz) }, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> ListAsync(HttpRequest request, IDbConnectionFactory db, NeutronAuthz authz)
    {
        // A caller reads its own networks and the shared and external ones.
        var (where, args) = NeutronList.Where(request, authz, "(n.project_id = @project OR n.shared OR n.router_external)", FilterColumns);
        await using var c = await db.OpenAsync();
        var networks = (await c.QueryAsync<Network>($"SELECT {Network.Columns} FROM networks n WHERE {where} ORDER BY n.id", args)).ToList();
        var subnets = await SubnetIdsAsync(c, networks.Select(n => n.Id).ToList());
        return Results.Json(NeutronList.Shape(request, "networks", networks.Select(n => View(n, subnets[n.Id].ToList(), authz))));
    }

    private static async Task<IResult> ShowAsync(string id, HttpRequest request, IDbConnectionFactory db, NeutronAuthz authz)
    {
        await using var c = await db.OpenAsync();
        var network = await FindVisibleAsync(c, authz, id);
        var subnets = await SubnetIdsAsync(c, [network.Id]);
        return Results.Json(new { network = NeutronList.Single(request, View(network, subnets[network.Id].ToList(), authz)) });
    }

    private static async Task<IResult> UpdateAsync(string id, HttpRequest request, IDbConnectionFactory db, NeutronAuthz authz, AgentNotifier notifier,
        TypeManager types, TimeProvider time)
    {
        var body = await NeutronBody.ReadAsync(request, "network", Writable);
        foreach (var fixedAttribute in new[] { "provider:network_type", "provider:physical_network", "provider:segmentation_id", "project_id", "tenant_id" })
            if (body.Has(fixedAttribute)) throw NeutronErrors.InvalidInput($"Plugin does not support updating the following provider network attributes: {fixedAttribute}");
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        var network = await FindVisibleAsync(c, authz, id, tx, forUpdate: true);
        authz.Enforce("update_network", Target(network));
        foreach (var attribute in new[] { "router:external", "shared" })
            if (body.Has(attribute)) authz.Enforce($"update_network:{attribute}", Target(network));
        var maxMtu = types.Mtu(new Ml2.Segment(network.NetworkType, network.PhysicalNetwork, network.SegmentationId));
        if (body.Int("mtu") is { } m && (m > maxMtu || m < 68))
            throw NeutronErrors.InvalidInput(m > maxMtu ? $"Requested MTU is too big, maximum is {maxMtu}" : "Requested MTU is too small");
        var shared = body.Bool("shared") ?? network.Shared;
        if (network.Shared && !shared
            && await c.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM ports WHERE network_id = @id AND project_id <> @owner AND device_owner <> 'network:dhcp'",
                new { id = network.Id, owner = network.ProjectId }, tx) > 0)
            throw NeutronErrors.Conflict("InvalidSharedSetting", $"Unable to reconfigure sharing settings for network {network.Id}. Multiple tenants are using it.");
        var updated = network with
        {
            Name = body.String("name") ?? network.Name,
            Description = body.String("description") ?? network.Description,
            AdminStateUp = body.Bool("admin_state_up") ?? network.AdminStateUp,
            Shared = shared,
            RouterExternal = body.Bool("router:external") ?? network.RouterExternal,
            PortSecurityEnabled = body.Bool("port_security_enabled") ?? network.PortSecurityEnabled,
            Mtu = body.Int("mtu") ?? network.Mtu,
            UpdatedAt = time.GetUtcNow().UtcDateTime,
            RevisionNumber = network.RevisionNumber + 1,
        };
        await c.ExecuteAsync("""
            UPDATE networks SET name = @Name, description = @Description, admin_state_up = @AdminStateUp, shared = @Shared, router_external = @RouterExternal,
              port_security_enabled = @PortSecurityEnabled, mtu = @Mtu, updated_at = @UpdatedAt, revision_number = @RevisionNumber WHERE id = @Id
            """, updated, tx);
        await notifier.NetworkUpdatedAsync(tx, network.Id);
        await tx.CommitAsync();
        notifier.Flush();
        var subnets = await SubnetIdsAsync(c, [network.Id]);
        return Results.Json(new { network = View(updated, subnets[network.Id].ToList(), authz) });
    }

    private static async Task<IResult> DeleteAsync(string id, IDbConnectionFactory db, NeutronAuthz authz, AgentNotifier notifier, TypeManager types)
    {
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        var network = await FindVisibleAsync(c, authz, id, tx, forUpdate: true);
        authz.Enforce("delete_network", Target(network));
        // Ports the network service made for itself go with it; anyone else's keep it in use.
        if (await c.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM ports WHERE network_id = @id AND device_owner <> 'network:dhcp'", new { id = network.Id }, tx) > 0)
            throw NeutronErrors.Conflict("NetworkInUse", $"Unable to complete operation on network {network.Id}. There are one or more ports still in use on the network.");
        await notifier.NetworkDeletedAsync(tx, network.Id);
        await c.ExecuteAsync("""
            DELETE FROM securitygroupportbindings WHERE port_id IN (SELECT id FROM ports WHERE network_id = @id);
            DELETE FROM ipallocations WHERE network_id = @id;
            DELETE FROM ports WHERE network_id = @id;
            DELETE FROM subnets WHERE network_id = @id;
            DELETE FROM networkdhcpagentbindings WHERE network_id = @id;
            DELETE FROM networks WHERE id = @id;
            """, new { id = network.Id }, tx);
        await types.ReleaseSegmentAsync(tx, new Ml2.Segment(network.NetworkType, network.PhysicalNetwork, network.SegmentationId));
        await tx.CommitAsync();
        notifier.Flush();
        return Results.NoContent();
    }

    public static async Task<ILookup<string, string>> SubnetIdsAsync(DbConnection c, IReadOnlyList<string> networkIds) =>
        networkIds.Count == 0 ? Array.Empty<(string, string)>().ToLookup(x => x.Item1, x => x.Item2)
            : (await c.QueryAsync<(string NetworkId, string Id)>("SELECT network_id, id FROM subnets WHERE network_id IN @networkIds ORDER BY created_at, id", new { networkIds }))
                .ToLookup(s => s.NetworkId, s => s.Id);

    public static Dictionary<string, object?> View(Network n, List<string> subnets, NeutronAuthz authz)
    {
        var view = new Dictionary<string, object?>
        {
            ["id"] = n.Id,
            ["name"] = n.Name,
            ["description"] = n.Description,
            ["tenant_id"] = n.ProjectId,
            ["project_id"] = n.ProjectId,
            ["status"] = n.Status,
            ["admin_state_up"] = n.AdminStateUp,
            ["shared"] = n.Shared,
            ["router:external"] = n.RouterExternal,
            ["port_security_enabled"] = n.PortSecurityEnabled,
            ["mtu"] = n.Mtu,
            ["subnets"] = subnets,
            ["availability_zone_hints"] = Array.Empty<string>(),
            ["availability_zones"] = new[] { "nova" },
            ["ipv4_address_scope"] = null,
            ["ipv6_address_scope"] = null,
            ["l2_adjacency"] = true,
            ["is_default"] = false,
            ["dns_domain"] = "",
            ["qos_policy_id"] = null,
            ["tags"] = Array.Empty<string>(),
            ["created_at"] = Json.Time(n.CreatedAt),
            ["updated_at"] = Json.Time(n.UpdatedAt),
            ["revision_number"] = n.RevisionNumber,
        };
        var target = Target(n);
        if (authz.Allows("get_network:provider:network_type", target)) view["provider:network_type"] = n.NetworkType;
        if (authz.Allows("get_network:provider:physical_network", target)) view["provider:physical_network"] = n.PhysicalNetwork;
        if (authz.Allows("get_network:provider:segmentation_id", target)) view["provider:segmentation_id"] = n.SegmentationId;
        return view;
    }
}
