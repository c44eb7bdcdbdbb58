using System.Data.Common;
using System.Globalization;
using System.Net;
using Dapper;
using NetworkServer.Agents;
using NetworkServer.Common;
using NetworkServer.Db;
using NetworkServer.Ipam;
using NetworkServer.Ml2.MechanismDrivers;
using NetworkServer.Quotas;
using NetworkServer.SecurityGroups;
using Platform.Data;

namespace NetworkServer.Ports;

/// <summary>A fixed IP a port asks for: a subnet, an address, or both.</summary>
public sealed record FixedIpRequest(string? SubnetId, string? IpAddress);

/// <summary>Everything a new port is made from; what is null is chosen by the server.</summary>
public sealed record PortRequest(string ProjectId, Network Network)
{
    public string Name { get; init; } = "";
    public string Description { get; init; } = "";
    public string DeviceId { get; init; } = "";
    public string DeviceOwner { get; init; } = "";
    public bool AdminStateUp { get; init; } = true;
    public string? MacAddress { get; init; }
    public IReadOnlyList<FixedIpRequest>? FixedIps { get; init; }
    public IReadOnlyList<string>? SecurityGroups { get; init; }
    public bool? PortSecurityEnabled { get; init; }
    public string AllowedAddressPairs { get; init; } = "[]";
    public string HostId { get; init; } = "";
    public string VnicType { get; init; } = "normal";
    public string Profile { get; init; } = "{}";

    /// <summary>
    /// The project's default security group, for a port that names none. Found (or made) before the
    /// port's transaction opens, as it takes a connection of its own.
    /// </summary>
    public string? DefaultSecurityGroup { get; init; }
}

/// <summary>
/// Making, re-addressing and removing ports inside a caller's transaction: MACs from
/// <c>base_mac</c>, fixed IPs from IPAM, security groups, and the binding the mechanism drivers
/// decide. Routers and floating IPs make their ports through here too.
/// </summary>
public sealed class PortOperations(MechanismManager mechanisms, AgentNotifier notifier, QuotaEngine quotas, NeutronAuthz authz,
    IConfiguration configuration, TimeProvider time)
{
    private const int MacTries = 16;
    private readonly byte[] baseMac = ParseBaseMac(configuration["base_mac"] ?? "fa:16:3e:00:00:00");

    public AgentNotifier Notifier => notifier;

    private static byte[] ParseBaseMac(string text)
    {
        var parts = text.Split(':');
        if (parts.Length != 6) throw new InvalidOperationException($"base_mac '{text}' is not a MAC address");
        return [.. parts.Select(p => byte.Parse(p, NumberStyles.HexNumber, CultureInfo.InvariantCulture))];
    }

    /// <summary>A MAC with the base's leading bytes (the first three, as neutron, where the base has zeros after) and random others.</summary>
    public string NewMac()
    {
        var mac = (byte[])baseMac.Clone();
        Span<byte> random = stackalloc byte[6];
        Random.Shared.NextBytes(random);
        for (var i = 3; i < 6; i++) if (baseMac[i] == 0) mac[i] = random[i];
        return string.Join(':', mac.Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
    }

    /// <summary>Whether a port's owner is a network service (DHCP, router, floating IP): no security groups, no quota.</summary>
    public static bool IsNetworkOwned(string deviceOwner) => deviceOwner.StartsWith("network:", StringComparison.Ordinal);

    public async Task<Port> CreateAsync(DbTransaction tx, PortRequest request)
    {
        var c = tx.Connection!;
        var network = request.Network;
        if (!IsNetworkOwned(request.DeviceOwner)) await quotas.CheckAsync(tx, "port", request.ProjectId, 1);
        var portSecurity = request.PortSecurityEnabled ?? network.PortSecurityEnabled;
        var groups = new List<string>();
        if (request.SecurityGroups is { Count: > 0 } asked)
        {
            if (!portSecurity)
                throw NeutronErrors.Conflict("PortSecurityAndIPRequiredForSecurityGroups", "Port security must be enabled and port must have an IP address in order to use security groups.");
            groups.AddRange(await CheckGroupsAsync(tx, request.ProjectId, asked));
        }
        else if (portSecurity && request.SecurityGroups is null && !IsNetworkOwned(request.DeviceOwner) && request.DefaultSecurityGroup is { } group)
            groups.Add(group);

        var now = time.GetUtcNow().UtcDateTime;
        var port = new Port(Guid.NewGuid().ToString(), request.ProjectId, network.Id, request.Name, request.Description, request.MacAddress ?? NewMac(),
            request.AdminStateUp, "DOWN", request.DeviceId, request.DeviceOwner, portSecurity, request.AllowedAddressPairs, request.HostId,
            request.VnicType, VifTypes.Unbound, "{}", request.Profile, now, now, 1);
        port = await InsertWithUniqueMacAsync(tx, port, macGiven: request.MacAddress is not null);

        var subnets = (await c.QueryAsync<Subnet>($"SELECT {Subnet.Columns} FROM subnets WHERE network_id = @id ORDER BY created_at, id", new { id = network.Id }, tx)).ToList();
        await AllocateAsync(tx, port, subnets, request.FixedIps);
        if (groups.Count > 0)
            await c.ExecuteAsync("INSERT INTO securitygroupportbindings (port_id, security_group_id) VALUES (@port, @group)",
                groups.Distinct().Select(g => new { port = port.Id, group = g }), tx);
        if (port.BindingHostId.Length > 0) port = await BindToHostAsync(tx, port, network);
        await notifier.PortCreatedAsync(tx, port);
        return port;
    }

    private async Task<Port> InsertWithUniqueMacAsync(DbTransaction tx, Port port, bool macGiven)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await tx.Connection!.ExecuteAsync($"""
                    INSERT INTO ports ({Port.Columns}) VALUES (@Id, @ProjectId, @NetworkId, @Name, @Description, @MacAddress, @AdminStateUp, @Status,
                      @DeviceId, @DeviceOwner, @PortSecurityEnabled, @AllowedAddressPairs, @BindingHostId, @BindingVnicType, @BindingVifType,
                      @BindingVifDetails, @BindingProfile, @CreatedAt, @UpdatedAt, @RevisionNumber)
                    """, port, tx);
                return port;
            }
            catch (DbException e) when (e.IsDuplicateKey())
            {
                if (macGiven)
                    throw NeutronErrors.Conflict("MacAddressInUse", $"Unable to complete operation for network {port.NetworkId}. The mac address {port.MacAddress} is in use.");
                if (attempt >= MacTries)
                    throw NeutronErrors.Conflict("MacAddressGenerationFailure", $"Unable to generate unique mac on network {port.NetworkId}.");
                port = port with { MacAddress = NewMac() };
            }
        }
    }

    /// <summary>The groups named, each of which must exist and be the project's (or any, for an admin's port elsewhere).</summary>
    public async Task<List<string>> CheckGroupsAsync(DbTransaction tx, string projectId, IReadOnlyList<string> asked)
    {
        var found = (await tx.Connection!.QueryAsync<(string Id, string ProjectId)>("SELECT id, project_id FROM securitygroups WHERE id IN @asked",
            new { asked = asked.Distinct().ToList() }, tx)).ToDictionary(g => g.Id, g => g.ProjectId);
        foreach (var id in asked)
            if (!found.TryGetValue(id, out var owner) || (owner != projectId && !authz.IsAdmin))
                throw NeutronErrors.NotFound("security_group", id);
        return [.. asked.Distinct()];
    }

    /// <summary>
    /// Takes the port's addresses: those asked for, or one IPv4 address from the first subnet
    /// with room and an IPv6 address per IPv6 subnet (EUI-64 on SLAAC subnets).
    /// </summary>
    public async Task AllocateAsync(DbTransaction tx, Port port, IReadOnlyList<Subnet> subnets, IReadOnlyList<FixedIpRequest>? asked)
    {
        if (asked is null)
        {
            var v4 = subnets.Where(s => s.IpVersion == 4).ToList();
            if (v4.Count > 0)
            {
                string? taken = null;
                foreach (var subnet in v4)
                    if ((taken = await IpAllocator.TakeAnyAsync(tx, subnet, port.Id)) is not null) break;
                if (taken is null) throw NeutronErrors.Conflict("IpAddressGenerationFailure", $"No more IP addresses available on network {port.NetworkId}.");
            }
            foreach (var subnet in subnets.Where(s => s.IpVersion == 6))
            {
                if (subnet.Ipv6AddressMode is "slaac" or "dhcpv6-stateless")
                    await TakeExactAsync(tx, port, subnet, Eui64(subnet, port.MacAddress));
                else if (await IpAllocator.TakeAnyAsync(tx, subnet, port.Id) is null)
                    throw NeutronErrors.Conflict("IpAddressGenerationFailure", $"No more IP addresses available on network {port.NetworkId}.");
            }
            return;
        }
        foreach (var request in asked)
        {
            Subnet subnet;
            IPAddress? address = request.IpAddress is { } text ? IpAddressing.ParseAddress(text, "fixed_ips") : null;
            if (request.SubnetId is { } subnetId)
            {
                subnet = subnets.FirstOrDefault(s => s.Id == subnetId)
                    ?? throw NeutronErrors.InvalidInput($"Failed to create port on network {port.NetworkId}, because fixed_ips included invalid subnet {subnetId}");
                if (address is not null && !IPNetwork.Parse(subnet.Cidr).Contains(address))
                    throw NeutronErrors.BadRequest("InvalidIpForSubnet", $"IP address {address} is not a valid IP for the specified subnet.");
            }
            else if (address is not null)
                subnet = subnets.FirstOrDefault(s => IPNetwork.Parse(s.Cidr).Contains(address))
                    ?? throw NeutronErrors.BadRequest("InvalidIpForNetwork", $"IP address {address} is not a valid IP for any of the subnets on the specified network.");
            else
                throw NeutronErrors.InvalidInput("IP allocation requires subnet_id or ip_address");

            if (address is not null)
                await TakeExactAsync(tx, port, subnet, address.ToString());
            else if (await IpAllocator.TakeAnyAsync(tx, subnet, port.Id) is null)
                throw NeutronErrors.Conflict("IpAddressGenerationFailure", $"No more IP addresses available on network {port.NetworkId}.");
        }
    }

    private static async Task TakeExactAsync(DbTransaction tx, Port port, Subnet subnet, string address)
    {
        if (!await IpAllocator.TryTakeAsync(tx, subnet, address, port.Id))
            throw NeutronErrors.Conflict("IpAddressAlreadyAllocated", $"IP address {address} already allocated in subnet {subnet.Id}");
    }

    /// <summary>The SLAAC address of a MAC on an IPv6 /64: the prefix and the modified EUI-64 interface id.</summary>
    public static string Eui64(Subnet subnet, string mac)
    {
        var prefix = IPNetwork.Parse(subnet.Cidr).BaseAddress.GetAddressBytes();
        var m = mac.Split(':').Select(p => byte.Parse(p, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray();
        byte[] id = [(byte)(m[0] ^ 0x02), m[1], m[2], 0xff, 0xfe, m[3], m[4], m[5]];
        id.CopyTo(prefix, 8);
        return new IPAddress(prefix).ToString();
    }

    /// <summary>Asks the mechanism drivers to bind the port on its host and writes what they decided.</summary>
    public async Task<Port> BindToHostAsync(DbTransaction tx, Port port, Network network)
    {
        var binding = await mechanisms.BindAsync(tx, port, network);
        var bound = port with { BindingVifType = binding.VifType, BindingVifDetails = Json.Write(binding.VifDetails) };
        await tx.Connection!.ExecuteAsync("UPDATE ports SET binding_vif_type = @BindingVifType, binding_vif_details = @BindingVifDetails WHERE id = @Id", bound, tx);
        return bound;
    }

    /// <summary>Removes a port with its addresses and group bindings; floating IPs on it are let go.</summary>
    public async Task DeleteAsync(DbTransaction tx, Port port)
    {
        var c = tx.Connection!;
        var routers = (await c.QueryAsync<string>("SELECT router_id FROM floatingips WHERE fixed_port_id = @id AND router_id IS NOT NULL", new { id = port.Id }, tx)).ToList();
        await c.ExecuteAsync("""
            UPDATE floatingips SET fixed_port_id = NULL, fixed_ip_address = NULL, router_id = NULL, status = 'DOWN' WHERE fixed_port_id = @id;
            DELETE FROM ipallocations WHERE port_id = @id;
            DELETE FROM securitygroupportbindings WHERE port_id = @id;
            DELETE FROM ports WHERE id = @id;
            """, new { id = port.Id }, tx);
        await notifier.PortDeletedAsync(tx, port);
        if (routers.Count > 0) await notifier.RoutersUpdatedAsync(tx, routers);
    }

    public static async Task<Port?> GetAsync(DbConnection c, string id, DbTransaction? tx = null, bool forUpdate = false) =>
        await RowLookup.ByIdAsync<Port>(c, "ports", Port.Columns, id, tx, forUpdate);

    public static async Task<ILookup<string, IpAllocation>> FixedIpsAsync(DbConnection c, IReadOnlyList<string> portIds, DbTransaction? tx = null) =>
        portIds.Count == 0 ? Array.Empty<IpAllocation>().ToLookup(a => a.PortId)
            : (await c.QueryAsync<IpAllocation>("SELECT subnet_id, ip_address, port_id, network_id FROM ipallocations WHERE port_id IN @portIds", new { portIds }, tx))
                .ToLookup(a => a.PortId);

    public static async Task<ILookup<string, string>> GroupsAsync(DbConnection c, IReadOnlyList<string> portIds, DbTransaction? tx = null) =>
        portIds.Count == 0 ? Array.Empty<(string, string)>().ToLookup(a => a.Item1, a => a.Item2)
            : (await c.QueryAsync<(string PortId, string GroupId)>("SELECT port_id, security_group_id FROM securitygroupportbindings WHERE port_id IN @portIds ORDER BY security_group_id", new { portIds }, tx))
                .ToLookup(a => a.PortId, a => a.GroupId);
}
