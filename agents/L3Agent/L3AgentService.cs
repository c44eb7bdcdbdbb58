using Platform.HostCommands;
using Platform.Hosting;
using Platform.Messaging;

namespace L3Agent;

/// <summary>The wiring of the L3 agent (neutron-l3-agent): the bus and the host command layer. Agents own no database.</summary>
public static class L3AgentService
{
    public static readonly ServiceDescription Description = new("l3-agent", 8793, ApiFlavor.None);

    public static WebApplicationBuilder AddL3Agent(this WebApplicationBuilder builder)
    {
        builder.AddMessaging();
        builder.Services.AddHostCommands();
        return builder;
    }
}
