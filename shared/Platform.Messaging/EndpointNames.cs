namespace Platform.Messaging;

/// <summary>
/// Queue names as nova and neutron name their topics: a service queue (<c>conductor</c>) that
/// competing workers share, and a per-host queue (<c>compute.&lt;host&gt;</c>,
/// <c>ovs-agent.&lt;host&gt;</c>) that one host consumes.
/// </summary>
public static class EndpointNames
{
    public static string ForHost(string topic, string host) => $"{topic}.{host}";

    /// <summary>The bus address of a named queue, for Send.</summary>
    public static Uri Queue(string name) => new($"queue:{name}");
}
