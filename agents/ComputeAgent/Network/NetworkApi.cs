using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Conductor.Contracts;
using NetworkServer.Contracts;

namespace ComputeAgent.Network;

/// <summary>A port could not be bound on this host (neutron answered binding_failed).</summary>
public sealed class PortBindingFailedException(string portId, string host)
    : Exception($"Binding failed for port {portId} on host {host}, please check neutron logs for more information.");

/// <summary>The port asked for is in use by another device.</summary>
public sealed class PortInUseException(string portId, string deviceId)
    : Exception($"Port {portId} is still in use by {deviceId}.");

/// <summary>What a build did to ports, so a failed build undoes exactly that.</summary>
public sealed class PortChanges
{
    public List<string> Created { get; } = [];
    public List<string> Bound { get; } = [];
}

/// <summary>
/// Ports for instances (nova's neutron API module): allocate creates or binds one port per
/// requested network and answers the instance's network_info; deallocate undoes it.
/// </summary>
public sealed class NetworkApi(NetworkClient network, SecurityGroupLookup securityGroups, ILogger<NetworkApi> logger)
{
    public async Task<IReadOnlyList<VifInfo>> AllocateForInstanceAsync(InstanceInfo instance, string host, IReadOnlyList<RequestedNetwork> requested,
        IReadOnlyList<string> securityGroupNames, PortChanges changes, CancellationToken cancellationToken)
    {
        // The compute API resolved "auto" (the project's one usable network) at create: nothing
        // asked for here means no network.
        if (requested.Count == 0) return [];

        var owner = DeviceOwner(instance);
        IReadOnlyList<string>? groupIds = null;
        var labels = new Dictionary<string, string?>();
        var vifs = new List<VifInfo>();
        foreach (var want in requested)
        {
            NeutronPort port;
            bool given;
            if (want.PortId is { Length: > 0 } portId)
            {
                var existing = await network.GetPortAsync(portId, cancellationToken)
                    ?? throw new InvalidOperationException($"Port {portId} could not be found.");
                if (!string.IsNullOrEmpty(existing.DeviceId) && existing.DeviceId != instance.Uuid)
                    throw new PortInUseException(portId, existing.DeviceId);
                port = await network.UpdatePortAsync(portId, new JsonObject
                {
                    ["device_id"] = instance.Uuid,
                    ["device_owner"] = owner,
                    ["binding:host_id"] = host,
                }, cancellationToken);
                changes.Bound.Add(port.Id);
                given = true;
            }
            else
            {
                var networkId = want.NetworkId ?? throw new InvalidOperationException("a requested network names neither a network nor a port");
                groupIds ??= await securityGroups.ResolveAsync(instance.ProjectId, SecurityGroupNames(instance, securityGroupNames), cancellationToken);
                var body = new JsonObject
                {
                    ["network_id"] = networkId,
                    ["project_id"] = instance.ProjectId,
                    ["device_id"] = instance.Uuid,
                    ["device_owner"] = owner,
                    ["binding:host_id"] = host,
                    ["admin_state_up"] = true,
                };
                if (want.FixedIp is { Length: > 0 } ip)
                    body["fixed_ips"] = new JsonArray(new JsonObject { ["ip_address"] = ip });
                if (groupIds.Count > 0)
                    body["security_groups"] = new JsonArray([.. groupIds.Select(id => (JsonNode)JsonValue.Create(id))]);
                port = await network.CreatePortAsync(body, cancellationToken);
                changes.Created.Add(port.Id);
                given = false;
            }
            if (port.BindingVifType == "binding_failed")
                throw new PortBindingFailedException(port.Id, host);

            if (!labels.TryGetValue(port.NetworkId, out var label))
                labels[port.NetworkId] = label = (await network.GetNetworkAsync(port.NetworkId, cancellationToken))?.Name;
            vifs.Add(new VifInfo
            {
                PortId = port.Id,
                NetworkId = port.NetworkId,
                NetworkLabel = label,
                MacAddress = port.MacAddress,
                Addresses = [.. port.FixedIps.Select(f => new FixedAddress(f.IpAddress, IpVersion(f.IpAddress), f.SubnetId))],
                PreserveOnDelete = given,
            });
        }
        return vifs;
    }

    /// <summary>Undoes a build's port changes: deletes what it created, unbinds what it was given. Best effort.</summary>
    public async Task RollbackAsync(PortChanges changes, CancellationToken cancellationToken)
    {
        foreach (var id in changes.Created)
            await TryAsync(() => network.DeletePortAsync(id, cancellationToken), $"delete port {id}");
        foreach (var id in changes.Bound)
            await TryAsync(() => UnbindAsync(id, cancellationToken), $"unbind port {id}");
    }

    /// <summary>
    /// The instance's ports at its end: the ones the user gave are unbound and kept, the others deleted.
    /// </summary>
    public async Task DeallocateForInstanceAsync(InstanceInfo instance, CancellationToken cancellationToken)
    {
        var preserved = instance.NetworkInfo.Where(v => v.PreserveOnDelete).Select(v => v.PortId).ToHashSet();
        var ports = await network.ListPortsAsync($"device_id={Uri.EscapeDataString(instance.Uuid)}", cancellationToken);
        foreach (var port in ports)
        {
            if (preserved.Contains(port.Id)) await UnbindAsync(port.Id, cancellationToken);
            else await network.DeletePortAsync(port.Id, cancellationToken);
        }
    }

    private Task UnbindAsync(string portId, CancellationToken cancellationToken) =>
        network.UpdatePortAsync(portId, new JsonObject
        {
            ["device_id"] = "",
            ["device_owner"] = "",
            ["binding:host_id"] = "",
        }, cancellationToken);

    private static IReadOnlyList<string> SecurityGroupNames(InstanceInfo instance, IReadOnlyList<string> names) =>
        names.Count > 0 ? names : instance.SecurityGroups;

    public static string DeviceOwner(InstanceInfo instance) => $"compute:{(string.IsNullOrEmpty(instance.AvailabilityZone) ? "nova" : instance.AvailabilityZone)}";

    private static int IpVersion(string address) =>
        IPAddress.TryParse(address, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6 ? 6 : 4;

    private async Task TryAsync(Func<Task> action, string what)
    {
        try
        {
            await action();
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "could not {What} while cleaning up", what);
        }
    }
}
