using Platform.Hosting;
using Platform.Stack;

namespace DhcpAgent;

/// <summary>The DHCP agent (neutron-dhcp-agent): what it adds to the standard agent stack.</summary>
public static class DhcpAgentService
{
    public static readonly ServiceDescription Description = new("dhcp-agent", 8794, ApiFlavor.None);

    public static WebApplicationBuilder AddDhcpAgent(this WebApplicationBuilder builder) =>
        builder.AddAgentStack();
}
