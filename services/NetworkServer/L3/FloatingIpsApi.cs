using System.Data.Common;
using System.Net;
using Dapper;
using NetworkServer.Common;
using NetworkServer.Db;
using NetworkServer.Networks;
using NetworkServer.Ports;
using NetworkServer.Quotas;
using Platform.Data;

namespace NetworkServer.L3;

/// <summary>
/// /v2.0/floatingips: an address of an external network (a port there), associated with a fixed
/// IP of a port that a router connects to that external network.
/// </summary>
public static class FloatingIpsApi
{
    public const string FloatingIpOwner = "network:floatingip";

    private static readonly string[] Writable =
        ["floating_network_id", "port_id", "fixed_ip_address", "floating_ip_address", "subnet_id", "description", "project_id", "tenant_id",
         "dns_name", "dns_domain", "qos_policy_id", "tags"];

    private static readonly Dictionary<string, string> FilterColumns = new()
    {
        ["id"] = "id", ["project_id"] = "project_id", ["tenant_id"] = "project_id", ["floating_network_id"] = "floating_network_id",
        ["floating_ip_address"] = "floating_ip_address", ["port_id"] = "fixed_port_id", ["fixed_ip_address"] = "fixed_ip_address",
        ["router_id"] = "router_id", ["status"] = "status",
    };

    public static void MapFloatingIps(this IEndpointRouteBuilder v2)
    {
        v2.MapPost("/floatingips", CreateAsync);
        v2.MapGet("/floatingips", ListAsync);
        v2.MapGet("/floatingips/{id}", ShowAsync);
        v2.MapPut("/floatingips/{id}", UpdateAsync);
        v2.MapDelete("/floatingips/{id}", DeleteAsync);
    }

    private static async Task<FloatingIp> FindVisibleAsync(DbConnection c, NeutronAuthz authz, string id, DbTransaction? tx = null)
    {
        var fip = await RowLookup.ByIdAsync<FloatingIp>(c, "floatingips", FloatingIp.Columns, id, tx, forUpdate: tx is not null);
        if (fip is null || !authz.Allows("get_floatingip", NeutronAuthz.Target(fip.ProjectId))) throw NeutronErrors.NotFound("floatingip", id);
        return fip;
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, IDbConnectionFactory db, NeutronAuthz authz, PortOperations ports, QuotaEngine quotas, TimeProvider time)
    {
        var body = await NeutronBody.ReadAsync(request, "floatingip", Writable);
        var networkId = body.RequiredUuid("floating_network_id");
        var owner = authz.OwnerFor(body);
        authz.Enforce("create_floatingip", NeutronAuthz.Target(owner));
        if (body.Has("floating_ip_address")) authz.Enforce("create_floatingip:floating_ip_address", NeutronAuthz.Target(owner));
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        var network = await NetworksApi.GetAsync(c, networkId, tx);
        if (network is null || !authz.Allows("get_network", NetworksApi.Target(network))) throw NeutronErrors.NotFound("network", networkId);
        if (!network.RouterExternal)
            throw NeutronErrors.BadRequest("BadRequest", $"Bad floatingip request: Network {networkId} is not a valid external network.");
        await quotas.CheckAsync(tx, "floatingip", owner, 1);
        var id = Guid.NewGuid().ToString();
        FixedIpRequest? asked = body.String("floating_ip_address") is { } address ? new FixedIpRequest(body.Uuid("subnet_id"), address)
            : body.Uuid("subnet_id") is { } subnetId ? new FixedIpRequest(subnetId, null) : null;
        var port = await ports.CreateAsync(tx, new PortRequest("", network)
        {
            DeviceId = id,
            DeviceOwner = FloatingIpOwner,
            FixedIps = asked is null ? null : [asked],
            PortSecurityEnabled = false,
        });
        var ip = (await PortOperations.FixedIpsAsync(c, [port.Id], tx))[port.Id].FirstOrDefault(a => IPAddress.Parse(a.IpAddress).AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
            ?? throw NeutronErrors.BadRequest("BadRequest", $"Bad floatingip request: Network {networkId} does not contain any IPv4 subnet.");
        var now = time.GetUtcNow().UtcDateTime;
        var fip = new FloatingIp(id, owner, networkId, ip.IpAddress, port.Id, null, null, null, "DOWN", body.String("description") ?? "", now, now, 1);
        await c.ExecuteAsync($"""
            INSERT INTO floatingips ({FloatingIp.Columns}) VALUES (@Id, @ProjectId, @FloatingNetworkId, @FloatingIpAddress, @FloatingPortId, @FixedPortId,
              @FixedIpAddress, @RouterId, @Status, @Description, @CreatedAt, @UpdatedAt, @RevisionNumber)
            """, fip, tx);
        if (body.Uuid("port_id") is { } portId)
            fip = await AssociateAsync(tx, authz, ports, fip, portId, body.String("fixed_ip_address"));
        await tx.CommitAsync();
        ports.Notifier.Flush();
        return Results.Json(new { floatingip = View(fip) }, statusCode: StatusCodes.Status201Created);
    }

    /// <summary>
    /// Points the floating IP at a fixed IP of a port. A router must join the port's subnet to
    /// the floating IP's external network (its gateway there, an interface on the subnet);
    /// without one the answer is neutron's ExternalGatewayForFloatingIPNotFound.
    /// </summary>
    private static async Task<FloatingIp> AssociateAsync(DbTransaction tx, NeutronAuthz authz, PortOperations ports, FloatingIp fip, string portId, string? fixedIp)
    {
        var c = tx.Connection!;
        var (port, _) = await PortsApi.FindVisibleAsync(c, authz, portId, tx);
        if (!authz.IsAdmin && port.ProjectId != fip.ProjectId) throw NeutronErrors.NotFound("port", portId);
        var ips = (await PortOperations.FixedIpsAsync(c, [port.Id], tx))[port.Id].Where(a => IPAddress.Parse(a.IpAddress).AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork).ToList();
        var chosen = fixedIp is not null
            ? ips.FirstOrDefault(a => a.IpAddress == fixedIp) ?? throw NeutronErrors.BadRequest("BadRequest", $"Bad floatingip request: Port {port.Id} does not have fixed ip {fixedIp}.")
            : ips.Count == 1 ? ips[0]
            : ips.Count == 0 ? throw NeutronErrors.BadRequest("BadRequest", $"Bad floatingip request: Port {port.Id} does not have any IPv4 address.")
            : throw NeutronErrors.BadRequest("BadRequest", $"Bad floatingip request: Port {port.Id} has multiple fixed IPv4 addresses. Must provide a specific IPv4 address when assigning a floating IP.");
        var routerId = await c.ExecuteScalarAsync<string?>("""
            SELECT r.id FROM routers r
            JOIN ports gw ON gw.id = r.gw_port_id AND gw.network_id = @network
            JOIN ports i ON i.device_id = r.id AND i.device_owner = 'network:router_interface'
            JOIN ipallocations a ON a.port_id = i.id AND a.subnet_id = @subnet
            ORDER BY r.id LIMIT 1
            """, new { network = fip.FloatingNetworkId, subnet = chosen.SubnetId }, tx)
            ?? throw NeutronErrors.NotFoundAs("ExternalGatewayForFloatingIPNotFound",
                $"External network {fip.FloatingNetworkId} is not reachable from subnet {chosen.SubnetId}.  Therefore, cannot associate Port {port.Id} with a Floating IP.");
        if (await c.ExecuteScalarAsync<string?>("SELECT id FROM floatingips WHERE fixed_port_id = @port AND fixed_ip_address = @ip AND id <> @id",
            new { port = port.Id, ip = chosen.IpAddress, id = fip.Id }, tx) is { } other)
            throw NeutronErrors.Conflict("FloatingIPPortAlreadyAssociated",
                $"Cannot associate floating IP {fip.FloatingIpAddress} ({fip.Id}) with port {port.Id} using fixed IP {chosen.IpAddress}, as that fixed IP already has a floating IP on external network {fip.FloatingNetworkId}.");
        var previousRouter = fip.RouterId;
        fip = fip with { FixedPortId = port.Id, FixedIpAddress = chosen.IpAddress, RouterId = routerId };
        await c.ExecuteAsync("UPDATE floatingips SET fixed_port_id = @FixedPortId, fixed_ip_address = @FixedIpAddress, router_id = @RouterId WHERE id = @Id", fip, tx);
        await ports.Notifier.RoutersUpdatedAsync(tx, previousRouter is null ? [routerId] : [routerId, previousRouter]);
        return fip;
    }

    private static async Task<IResult> ListAsync(HttpRequest request, IDbConnectionFactory db, NeutronAuthz authz)
    {
        var (where, args) = NeutronList.Where(request, authz, "project_id = @project", FilterColumns);
        await using var c = await db.OpenAsync();
        var fips = await c.QueryAsync<FloatingIp>($"SELECT {FloatingIp.Columns} FROM floatingips WHERE {where} ORDER BY id", args);
        return Results.Json(NeutronList.Shape(request, "floatingips", fips.Select(View)));
    }

    private static async Task<IResult> ShowAsync(string id, HttpRequest request, IDbConnectionFactory db, NeutronAuthz authz)
    {
        await using var c = await db.OpenAsync();
        return Results.Json(new { floatingip = NeutronList.Single(request, View(await FindVisibleAsync(c, authz, id))) });
    }

    private static async Task<IResult> UpdateAsync(string id, HttpRequest request, IDbConnectionFactory db, NeutronAuthz authz, PortOperations ports, TimeProvider time)
    {
        var body = await NeutronBody.ReadAsync(request, "floatingip", ["port_id", "fixed_ip_address", "description", "qos_policy_id"]);
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        var fip = await FindVisibleAsync(c, authz, id, tx);
        authz.Enforce("update_floatingip", NeutronAuthz.Target(fip.ProjectId));
        if (body.Has("port_id"))
        {
            if (body.Uuid("port_id") is { } portId)
                fip = await AssociateAsync(tx, authz, ports, fip, portId, body.String("fixed_ip_address"));
            else if (fip.RouterId is { } router)
            {
                fip = fip with { FixedPortId = null, FixedIpAddress = null, RouterId = null, Status = "DOWN" };
                await c.ExecuteAsync("UPDATE floatingips SET fixed_port_id = NULL, fixed_ip_address = NULL, router_id = NULL, status = 'DOWN' WHERE id = @Id", fip, tx);
                await ports.Notifier.RoutersUpdatedAsync(tx, [router]);
            }
        }
        fip = fip with { Description = body.String("description") ?? fip.Description, UpdatedAt = time.GetUtcNow().UtcDateTime, RevisionNumber = fip.RevisionNumber + 1 };
        await c.ExecuteAsync("UPDATE floatingips SET description = @Description, updated_at = @UpdatedAt, revision_number = @RevisionNumber WHERE id = @Id", fip, tx);
        await tx.CommitAsync();
        ports.Notifier.Flush();
        return Results.Json(new { floatingip = View(fip) });
    }

    private static async Task<IResult> DeleteAsync(string id, IDbConnectionFactory db, NeutronAuthz authz, PortOperations ports)
    {
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        var fip = await FindVisibleAsync(c, authz, id, tx);
        authz.Enforce("delete_floatingip", NeutronAuthz.Target(fip.ProjectId));
        await c.ExecuteAsync("DELETE FROM floatingips WHERE id = @id", new { id = fip.Id }, tx);
        if (await PortOperations.GetAsync(c, fip.FloatingPortId, tx) is { } port) await ports.DeleteAsync(tx, port);
        if (fip.RouterId is { } router) await ports.Notifier.RoutersUpdatedAsync(tx, [router]);
        await tx.CommitAsync();
        ports.Notifier.Flush();
        return Results.NoContent();
    }

    public static Dictionary<string, object?> View(FloatingIp f) => new()
    {
        ["id"] = f.Id,
        ["tenant_id"] = f.ProjectId,
        ["project_id"] = f.ProjectId,
        ["floating_network_id"] = f.FloatingNetworkId,
        ["floating_ip_address"] = f.FloatingIpAddress,
        ["fixed_ip_address"] = f.FixedIpAddress,
        ["port_id"] = f.FixedPortId,
        ["router_id"] = f.RouterId,
        ["status"] = f.Status,
        ["description"] = f.Description,
        ["dns_domain"] = "",
        ["dns_name"] = "",
        ["port_forwardings"] = Array.Empty<object>(),
        ["qos_policy_id"] = null,
        ["tags"] = Array.Empty<string>(),
        ["created_at"] = Json.Time(f.CreatedAt),
        ["updated_at"] = Json.Time(f.UpdatedAt),
        ["revision_number"] = f.RevisionNumber,
    };
}
