using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using NetworkServer.Common;
using NetworkServer.Db;
using NetworkServer.Ipam;
using NetworkServer.Networks;
using NetworkServer.SecurityGroups;
using Platform.Data;

namespace NetworkServer.Ports;

/// <summary>/v2.0/ports, with port bindings, security groups, allowed address pairs and port security.</summary>
public static class PortsApi
{
    private static readonly string[] Writable =
        ["name", "description", "network_id", "admin_state_up", "mac_address", "fixed_ips", "device_id", "device_owner", "project_id", "tenant_id",
         "security_groups", "allowed_address_pairs", "port_security_enabled", "binding:host_id", "binding:profile", "binding:vnic_type",
         "extra_dhcp_opts", "dns_name", "qos_policy_id", "propagate_uplink_status", "tags"];

    private static readonly string[] VnicTypes = ["normal", "direct", "macvtap", "baremetal", "direct-physical", "virtio-forwarder", "smart-nic", "vdpa", "remote-managed"];

    private static readonly Dictionary<string, string> FilterColumns = new()
    {
        ["id"] = "p.id", ["name"] = "p.name", ["network_id"] = "p.network_id", ["project_id"] = "p.project_id", ["tenant_id"] = "p.project_id",
        ["device_id"] = "p.device_id", ["device_owner"] = "p.device_owner", ["mac_address"] = "p.mac_address", ["status"] = "p.status",
        ["binding:host_id"] = "p.binding_host_id", ["admin_state_up"] = "p.admin_state_up",
    };

    public static void MapPorts(this IEndpointRouteBuilder v2)
    {
        v2.MapPost("/ports", CreateAsync);
        v2.MapGet("/ports", ListAsync);
        v2.MapGet("/ports/{id}", ShowAsync);
        v2.MapPut("/ports/{id}", UpdateAsync);
        v2.MapDelete("/ports/{id}", DeleteAsync);
    }

    private static Dictionary<string, object?> Target(Port p, Network n)
    {
        var target = NeutronAuthz.Target(p.ProjectId, n.Shared, n.RouterExternal);
        target["network:tenant_id"] = n.ProjectId;
        target["network:project_id"] = n.ProjectId;
        target["device_owner"] = p.DeviceOwner;
        return target;
    }

    /// <summary>The port if the caller may read it (its own, or any on a network it owns); 404 otherwise.</summary>
    public static async Task<(Port Port, Network Network)> FindVisibleAsync(DbConnection c, NeutronAuthz authz, string id, DbTransaction? tx = null, bool forUpdate = false)
    {
        var port = await PortOperations.GetAsync(c, id, tx, forUpdate);
        var network = port is null ? null : await NetworksApi.GetAsync(c, port.NetworkId, tx);
        if (port is null || network is null
            || !(authz.Allows("get_port", NeutronAuthz.Target(port.ProjectId)) || authz.Allows("get_port", NeutronAuthz.Target(network.ProjectId))))
            throw NeutronErrors.NotFound("port", id);
        return (port, network);
    }

    private static List<FixedIpRequest>? FixedIps(NeutronBody body)
    {
        if (body.Array("fixed_ips") is not { } array) return null;
        return [.. array.Select(n => n is JsonObject o
            ? new FixedIpRequest(NeutronBody.StringIn(o, "subnet_id", "fixed_ips") is { } s ? (Guid.TryParseExact(s, "D", out var g) ? g.ToString() : throw NeutronErrors.BadAttribute("fixed_ips", $"'{s}' is not a valid UUID")) : null,
                NeutronBody.StringIn(o, "ip_address", "fixed_ips"))
            : throw NeutronErrors.BadAttribute("fixed_ips", $"Invalid data format for fixed IP: '{n?.ToJsonString()}'"))];
    }

    private static string? AddressPairs(NeutronBody body)
    {
        if (body.Array("allowed_address_pairs") is not { } array) return null;
        var pairs = new List<Contracts.AddressPair>();
        foreach (var n in array)
        {
            if (n is not JsonObject o || NeutronBody.StringIn(o, "ip_address", "allowed_address_pairs") is not { } ip)
                throw NeutronErrors.BadRequest("AllowedAddressPairsMissingIP", "AllowedAddressPair must contain ip_address");
            if (ip.Contains('/')) IpAddressing.ParseCidr(ip, "allowed_address_pairs"); else IpAddressing.ParseAddress(ip, "allowed_address_pairs");
            pairs.Add(new Contracts.AddressPair(ip, NeutronBody.StringIn(o, "mac_address", "allowed_address_pairs")));
        }
        return Json.Write(pairs);
    }

    private static string? Profile(NeutronBody body) => body.Object("binding:profile") is { } o ? o.ToJsonString() : null;

    private static string? VnicType(NeutronBody body)
    {
        var v = body.String("binding:vnic_type");
        if (v is not null && !VnicTypes.Contains(v)) throw NeutronErrors.BadAttribute("binding:vnic_type", $"'{v}' is not in {string.Join(", ", VnicTypes)}");
        return v;
    }

    private static void EnforceAttributes(NeutronAuthz authz, NeutronBody body, string action, Dictionary<string, object?> target)
    {
        foreach (var attribute in new[] { "binding:host_id", "binding:profile", "mac_address" })
            if (body.Has(attribute)) authz.Enforce($"{action}:{attribute}", target);
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, IDbConnectionFactory db, NeutronAuthz authz, PortOperations ports,
        DefaultSecurityGroups defaults)
    {
        var body = await NeutronBody.ReadAsync(request, "port", Writable);
        var networkId = body.RequiredUuid("network_id");
        var owner = authz.OwnerFor(body);
        var mac = body.String("mac_address");
        if (mac is not null && !System.Text.RegularExpressions.Regex.IsMatch(mac, "^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$"))
            throw NeutronErrors.BadAttribute("mac_address", $"'{mac}' is not a valid MAC address");
        var securityGroups = body.Strings("security_groups");
        // As neutron, a project's first port makes its default group; before the port's own
        // connection is taken, since the group is made on a connection of its own.
        var defaultGroup = securityGroups is null && body.Bool("port_security_enabled") != false ? await defaults.EnsureAsync(owner) : null;
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        var network = await NetworksApi.FindVisibleAsync(c, authz, networkId, tx);
        var target = NeutronAuthz.Target(owner, network.Shared, network.RouterExternal);
        target["network:tenant_id"] = network.ProjectId;
        // A port on someone else's network: only if it is shared (or for an admin).
        if (network.ProjectId != owner && !network.Shared && !authz.IsAdmin) throw NeutronErrors.NotFound("network", networkId);
        authz.Enforce("create_port", target);
        EnforceAttributes(authz, body, "create_port", target);
        var port = await ports.CreateAsync(tx, new PortRequest(owner, network)
        {
            Name = body.String("name") ?? "",
            Description = body.String("description") ?? "",
            DeviceId = body.String("device_id") ?? "",
            DeviceOwner = body.String("device_owner") ?? "",
            AdminStateUp = body.Bool("admin_state_up") ?? true,
            MacAddress = mac?.ToLowerInvariant(),
            FixedIps = FixedIps(body),
            SecurityGroups = securityGroups,
            DefaultSecurityGroup = defaultGroup,
            PortSecurityEnabled = body.Bool("port_security_enabled"),
            AllowedAddressPairs = AddressPairs(body) ?? "[]",
            HostId = body.String("binding:host_id") ?? "",
            VnicType = VnicType(body) ?? "normal",
            Profile = Profile(body) ?? "{}",
        });
        await tx.CommitAsync();
        ports.Notifier.Flush();
        return Results.Json(new { port = (await ViewsAsync(c, [port], authz))[0] }, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> ListAsync(HttpRequest request, IDbConnectionFactory db, NeutronAuthz authz)
    {
        var (where, args) = NeutronList.Where(request, authz, "(p.project_id = @project OR n.project_id = @project)", FilterColumns);
        await using var c = await db.OpenAsync();
        var list = (await c.QueryAsync<Port>($"SELECT {string.Join(", ", Port.Columns.Split(", ").Select(col => "p." + col))} FROM ports p JOIN networks n ON n.id = p.network_id WHERE {where} ORDER BY p.id", args)).ToList();
        return Results.Json(NeutronList.Shape(request, "ports", await ViewsAsync(c, list, authz)));
    }

    private static async Task<IResult> ShowAsync(string id, HttpRequest request, IDbConnectionFactory db, NeutronAuthz authz)
    {
        await using var c = await db.OpenAsync();
        var (port, _) = await FindVisibleAsync(c, authz, id);
        return Results.Json(new { port = NeutronList.Single(request, (await ViewsAsync(c, [port], authz))[0]) });
    }

    private static async Task<IResult> UpdateAsync(string id, HttpRequest request, IDbConnectionFactory db, NeutronAuthz authz, PortOperations ports, TimeProvider time)
    {
        var body = await NeutronBody.ReadAsync(request, "port", Writable);
        foreach (var fixedAttribute in new[] { "network_id", "project_id", "tenant_id" })
            if (body.Has(fixedAttribute)) throw NeutronErrors.BadRequest("HTTPBadRequest", $"Cannot update read-only attribute {fixedAttribute}");
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        var (port, network) = await FindVisibleAsync(c, authz, id, tx, forUpdate: true);
        var target = Target(port, network);
        authz.Enforce("update_port", target);
        EnforceAttributes(authz, body, "update_port", target);

        var mac = body.String("mac_address")?.ToLowerInvariant();
        if (mac is not null && mac != port.MacAddress && port.BindingVifType is not (Ml2.MechanismDrivers.VifTypes.Unbound or Ml2.MechanismDrivers.VifTypes.BindingFailed))
            throw NeutronErrors.Conflict("PortBound", $"Unable to complete operation on port {port.Id}, port is already bound, port type: {port.BindingVifType}, old_mac {port.MacAddress}, new_mac {mac}.");
        var portSecurity = body.Bool("port_security_enabled") ?? port.PortSecurityEnabled;
        var updated = port with
        {
            Name = body.String("name") ?? port.Name,
            Description = body.String("description") ?? port.Description,
            AdminStateUp = body.Bool("admin_state_up") ?? port.AdminStateUp,
            DeviceId = body.String("device_id") ?? port.DeviceId,
            DeviceOwner = body.String("device_owner") ?? port.DeviceOwner,
            MacAddress = mac ?? port.MacAddress,
            PortSecurityEnabled = portSecurity,
            AllowedAddressPairs = AddressPairs(body) ?? port.AllowedAddressPairs,
            BindingHostId = body.Has("binding:host_id") ? body.String("binding:host_id") ?? "" : port.BindingHostId,
            BindingVnicType = VnicType(body) ?? port.BindingVnicType,
            BindingProfile = body.Has("binding:profile") ? Profile(body) ?? "{}" : port.BindingProfile,
            UpdatedAt = time.GetUtcNow().UtcDateTime,
            RevisionNumber = port.RevisionNumber + 1,
        };
        await c.ExecuteAsync("""
            UPDATE ports SET name = @Name, description = @Description, admin_state_up = @AdminStateUp, device_id = @DeviceId, device_owner = @DeviceOwner,
              mac_address = @MacAddress, port_security_enabled = @PortSecurityEnabled, allowed_address_pairs = @AllowedAddressPairs,
              binding_host_id = @BindingHostId, binding_vnic_type = @BindingVnicType, binding_profile = @BindingProfile, updated_at = @UpdatedAt,
              revision_number = @RevisionNumber WHERE id = @Id
            """, updated, tx);

        if (FixedIps(body) is { } asked)
        {
            // Addresses kept stay; the rest are let go and the new ones taken.
            var current = (await PortOperations.FixedIpsAsync(c, [port.Id], tx))[port.Id].ToList();
            var keep = current.Where(a => asked.Any(r => r.IpAddress == a.IpAddress && (r.SubnetId is null || r.SubnetId == a.SubnetId))).ToList();
            await c.ExecuteAsync("DELETE FROM ipallocations WHERE port_id = @id AND NOT (ip_address IN @kept)", new { id = port.Id, kept = keep.Select(k => k.IpAddress).DefaultIfEmpty("").ToList() }, tx);
            var subnets = (await c.QueryAsync<Subnet>($"SELECT {Subnet.Columns} FROM subnets WHERE network_id = @id", new { id = network.Id }, tx)).ToList();
            var fresh = asked.Where(r => !keep.Any(k => k.IpAddress == r.IpAddress)).ToList();
            if (fresh.Count > 0) await ports.AllocateAsync(tx, updated, subnets, fresh);
        }
        if (body.Strings("security_groups") is { } groups)
        {
            if (groups.Count > 0 && !portSecurity)
                throw NeutronErrors.Conflict("PortSecurityAndIPRequiredForSecurityGroups", "Port security must be enabled and port must have an IP address in order to use security groups.");
            var checkedGroups = await ports.CheckGroupsAsync(tx, port.ProjectId, groups);
            await c.ExecuteAsync("DELETE FROM securitygroupportbindings WHERE port_id = @id", new { id = port.Id }, tx);
            if (checkedGroups.Count > 0)
                await c.ExecuteAsync("INSERT INTO securitygroupportbindings (port_id, security_group_id) VALUES (@port, @group)",
                    checkedGroups.Select(g => new { port = port.Id, group = g }), tx);
        }
        else if (!portSecurity && port.PortSecurityEnabled)
        {
            if (await c.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM securitygroupportbindings WHERE port_id = @id", new { id = port.Id }, tx) > 0)
                throw NeutronErrors.Conflict("PortSecurityPortHasSecurityGroup", "Port has security group associated. Cannot disable port security or IP address until security group is removed.");
        }
        if (body.Has("binding:host_id") || body.Has("binding:vnic_type") || body.Has("binding:profile"))
            updated = await ports.BindToHostAsync(tx, updated, network);
        await ports.Notifier.PortUpdatedAsync(tx, updated, network);
        await tx.CommitAsync();
        ports.Notifier.Flush();
        return Results.Json(new { port = (await ViewsAsync(c, [updated], authz))[0] });
    }

    private static async Task<IResult> DeleteAsync(string id, IDbConnectionFactory db, NeutronAuthz authz, PortOperations ports)
    {
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        var (port, network) = await FindVisibleAsync(c, authz, id, tx, forUpdate: true);
        authz.Enforce("delete_port", Target(port, network));
        if (port.DeviceOwner is "network:router_interface" or "network:router_gateway" or "network:floatingip" or "network:router_interface_distributed")
            throw NeutronErrors.Conflict("ServicePortInUse", $"Port {port.Id} cannot be deleted directly via the port API: has device owner {port.DeviceOwner}.");
        await ports.DeleteAsync(tx, port);
        await tx.CommitAsync();
        ports.Notifier.Flush();
        return Results.NoContent();
    }

    public static async Task<List<Dictionary<string, object?>>> ViewsAsync(DbConnection c, IReadOnlyList<Port> ports, NeutronAuthz authz)
    {
        var ids = ports.Select(p => p.Id).ToList();
        var ips = await PortOperations.FixedIpsAsync(c, ids);
        var groups = await PortOperations.GroupsAsync(c, ids);
        var admin = authz.IsAdmin;
        return [.. ports.Select(p =>
        {
            var view = new Dictionary<string, object?>
            {
                ["id"] = p.Id,
                ["name"] = p.Name,
                ["description"] = p.Description,
                ["network_id"] = p.NetworkId,
                ["tenant_id"] = p.ProjectId,
                ["project_id"] = p.ProjectId,
                ["mac_address"] = p.MacAddress,
                ["admin_state_up"] = p.AdminStateUp,
                ["status"] = p.Status,
                ["device_id"] = p.DeviceId,
                ["device_owner"] = p.DeviceOwner,
                ["fixed_ips"] = ips[p.Id].OrderBy(a => a.SubnetId, StringComparer.Ordinal).Select(a => new Dictionary<string, object?> { ["subnet_id"] = a.SubnetId, ["ip_address"] = a.IpAddress }).ToList(),
                ["allowed_address_pairs"] = JsonNode.Parse(p.AllowedAddressPairs),
                ["extra_dhcp_opts"] = Array.Empty<object>(),
                ["security_groups"] = groups[p.Id].ToList(),
                ["port_security_enabled"] = p.PortSecurityEnabled,
                ["binding:vnic_type"] = p.BindingVnicType,
                ["dns_name"] = "",
                ["qos_policy_id"] = null,
                ["qos_network_policy_id"] = null,
                ["propagate_uplink_status"] = false,
                ["resource_request"] = null,
                ["ip_allocation"] = "immediate",
                ["tags"] = Array.Empty<string>(),
                ["created_at"] = Json.Time(p.CreatedAt),
                ["updated_at"] = Json.Time(p.UpdatedAt),
                ["revision_number"] = p.RevisionNumber,
            };
            if (admin)
            {
                view["binding:host_id"] = p.BindingHostId;
                view["binding:vif_type"] = p.BindingVifType;
                view["binding:vif_details"] = JsonNode.Parse(p.BindingVifDetails);
                view["binding:profile"] = JsonNode.Parse(p.BindingProfile);
            }
            return view;
        })];
    }
}
