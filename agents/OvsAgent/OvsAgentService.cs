using Platform.Hosting;
using Platform.Stack;

namespace OvsAgent;

/// <summary>The OVS agent (neutron-openvswitch-agent): what it adds to the standard agent stack.</summary>
public static class OvsAgentService
{
    public static readonly ServiceDescription Description = new("ovs-agent", 8792, ApiFlavor.None);

    public static WebApplicationBuilder AddOvsAgent(this WebApplicationBuilder builder) =>
        builder.AddAgentStack();
}
