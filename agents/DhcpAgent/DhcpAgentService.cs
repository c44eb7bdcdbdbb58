using Platform.HostCommands;
using Platform.Hosting;
using Platform.Messaging;

namespace DhcpAgent;

/// <summary>The wiring of the DHCP agent (neutron-dhcp-agent): the bus and the host command layer. Agents own no database.</summary>
public static class DhcpAgentService
{
    public static readonly ServiceDescription Description = new("dhcp-agent", 8794, ApiFlavor.None);

    public static WebApplicationBuilder AddDhcpAgent(this WebApplicationBuilder builder)
    {
        builder.AddMessaging();
        builder.Services.AddHostCommands();
        return builder;
    }
}
