using NetworkServer.Contracts;
using Platform.Hosting;
using Platform.Stack;

namespace OvsAgent;

/// <summary>The OVS agent (neutron-openvswitch-agent): what it adds to the standard agent stack.</summary>
public static class OvsAgentService
{
    public static readonly ServiceDescription Description = new("ovs-agent", 8792, ApiFlavor.None);

    public static WebApplicationBuilder AddOvsAgent(this WebApplicationBuilder builder)
    {
        builder.AddAgentStack();
        // What the openvswitch mechanism driver binds by: the physical networks this host's
        // bridges reach (ovs:bridge_mappings, physnet:bridge) and the tunnel types it speaks.
        builder.AddAgentHeartbeat(AgentTypes.OpenVswitch, "neutron-openvswitch-agent", "N/A", c => new Dictionary<string, object?>
        {
            ["bridge_mappings"] = c.List("ovs:bridge_mappings", "physnet1:br-ex").Select(m => m.Split(':', 2)).ToDictionary(m => m[0], m => m.Length > 1 ? m[1] : ""),
            ["tunnel_types"] = c.List("agent:tunnel_types", "vxlan"),
            ["integration_bridge"] = c["ovs:integration_bridge"] ?? "br-int",
            ["datapath_type"] = c["ovs:datapath_type"] ?? "netdev",
            ["tunneling_ip"] = c["ovs:local_ip"],
        });
        return builder;
    }
}
