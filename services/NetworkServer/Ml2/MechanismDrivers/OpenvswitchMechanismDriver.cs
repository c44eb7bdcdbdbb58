using System.Data.Common;
using System.Text.Json;
using Dapper;
using NetworkServer.Agents;
using NetworkServer.Contracts;
using NetworkServer.Db;

namespace NetworkServer.Ml2.MechanismDrivers;

/// <summary>
/// <c>openvswitch</c>: binds a port on a host only where an alive OVS agent reported that host
/// and can reach the port's segment: a flat or vlan network's physical network must be in the
/// agent's <c>bridge_mappings</c>, a vxlan or gre network's type in its <c>tunnel_types</c>.
/// </summary>
public sealed class OpenvswitchMechanismDriver(AgentLiveness liveness) : IMechanismDriver
{
    public string Name => "openvswitch";

    public async Task<Binding?> TryBindAsync(DbTransaction tx, Port port, Network network, string host)
    {
        if (port.BindingVnicType != "normal") return null;
        var agents = await tx.Connection!.QueryAsync<(string Configurations, DateTime Heartbeat, bool AdminStateUp)>(
            "SELECT configurations, heartbeat_timestamp, admin_state_up FROM agents WHERE agent_type = @type AND host = @host",
            new { type = AgentTypes.OpenVswitch, host }, tx);
        foreach (var (text, heartbeat, up) in agents)
        {
            if (!up || !liveness.IsAlive(heartbeat)) continue;
            using var doc = JsonDocument.Parse(text);
            var config = doc.RootElement;
            if (!CanReach(config, network)) continue;
            var datapath = config.TryGetProperty("datapath_type", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : "system";
            var bridge = config.TryGetProperty("integration_bridge", out var b) && b.ValueKind == JsonValueKind.String ? b.GetString() : "br-int";
            return new Binding(VifTypes.Ovs, new Dictionary<string, object?>
            {
                ["port_filter"] = true,
                ["connectivity"] = "l2",
                ["ovs_hybrid_plug"] = false,
                ["datapath_type"] = datapath,
                ["bridge_name"] = bridge,
                ["bound_drivers"] = new Dictionary<string, string> { ["0"] = Name },
            });
        }
        return null;
    }

    private static bool CanReach(JsonElement config, Network network) => network.NetworkType switch
    {
        NetworkTypes.Local => true,
        NetworkTypes.Flat or NetworkTypes.Vlan => config.TryGetProperty("bridge_mappings", out var m) && m.ValueKind == JsonValueKind.Object
            && network.PhysicalNetwork is { } physnet && m.TryGetProperty(physnet, out _),
        _ => config.TryGetProperty("tunnel_types", out var t) && t.ValueKind == JsonValueKind.Array
            && t.EnumerateArray().Any(x => x.GetString() == network.NetworkType),
    };
}
