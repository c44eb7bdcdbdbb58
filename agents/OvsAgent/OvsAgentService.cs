using Platform.HostCommands;
using Platform.Hosting;
using Platform.Messaging;

namespace OvsAgent;

/// <summary>The wiring of the OVS agent (neutron-openvswitch-agent): the bus and the host command layer. Agents own no database.</summary>
public static class OvsAgentService
{
    public static readonly ServiceDescription Description = new("ovs-agent", 8792, ApiFlavor.None);

    public static WebApplicationBuilder AddOvsAgent(this WebApplicationBuilder builder)
    {
        builder.AddMessaging();
        builder.Services.AddHostCommands();
        return builder;
    }
}
