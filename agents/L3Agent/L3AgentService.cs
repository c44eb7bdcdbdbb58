using NetworkServer.Contracts;
using Platform.Hosting;
using Platform.Stack;

namespace L3Agent;

/// <summary>The L3 agent (neutron-l3-agent): what it adds to the standard agent stack.</summary>
public static class L3AgentService
{
    public static readonly ServiceDescription Description = new("l3-agent", 8793, ApiFlavor.None);

    public static WebApplicationBuilder AddL3Agent(this WebApplicationBuilder builder)
    {
        builder.AddAgentStack();
        builder.AddAgentHeartbeat(AgentTypes.L3, "neutron-l3-agent", Topics.L3Agent, c => new Dictionary<string, object?>
        {
            ["agent_mode"] = c["agent_mode"] ?? "legacy",
            ["external_network_bridge"] = "",
        });
        return builder;
    }
}
