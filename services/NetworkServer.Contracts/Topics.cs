namespace NetworkServer.Contracts;

/// <summary>
/// The queues of networking, named after neutron's topics: the server's plugin queue (agent
/// calls), its state-report queue, and each agent's own queue by host.
/// </summary>
public static class Topics
{
    /// <summary>Calls from agents to the server (device details, device up/down, routers, networks).</summary>
    public const string Plugin = "q-plugin";

    /// <summary>Agents' heartbeats (report_state), kept apart so a busy plugin queue never delays them.</summary>
    public const string Reports = "q-reports-plugin";

    /// <summary>The fanout subscription an OVS agent makes on its host (<c>ovs-agent.&lt;host&gt;</c>).</summary>
    public const string OvsAgent = "ovs-agent";

    /// <summary>A DHCP agent's own queue (<c>dhcp_agent.&lt;host&gt;</c>).</summary>
    public const string DhcpAgent = "dhcp_agent";

    /// <summary>An L3 agent's own queue (<c>l3_agent.&lt;host&gt;</c>).</summary>
    public const string L3Agent = "l3_agent";

    public static string DhcpAgentOn(string host) => $"{DhcpAgent}.{host}";

    public static string L3AgentOn(string host) => $"{L3Agent}.{host}";
}

/// <summary>neutron's agent types, as <c>/v2.0/agents</c> shows them.</summary>
public static class AgentTypes
{
    public const string OpenVswitch = "Open vSwitch agent";
    public const string Dhcp = "DHCP agent";
    public const string L3 = "L3 agent";
    public const string Metadata = "Metadata agent";
}
