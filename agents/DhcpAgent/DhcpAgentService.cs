using NetworkServer.Contracts;
using Platform.Hosting;
using Platform.Stack;

namespace DhcpAgent;

/// <summary>The DHCP agent (neutron-dhcp-agent): what it adds to the standard agent stack.</summary>
public static class DhcpAgentService
{
    public static readonly ServiceDescription Description = new("dhcp-agent", 8794, ApiFlavor.None);

    public static WebApplicationBuilder AddDhcpAgent(this WebApplicationBuilder builder)
    {
        builder.AddAgentStack();
        builder.AddAgentHeartbeat(AgentTypes.Dhcp, "neutron-dhcp-agent", Topics.DhcpAgent, c => new Dictionary<string, object?>
        {
            ["dhcp_driver"] = c["dhcp_driver"] ?? "dnsmasq",
            ["dhcp_lease_duration"] = int.TryParse(c["dhcp_lease_duration"], out var lease) ? lease : 86400,
        });
        return builder;
    }
}
