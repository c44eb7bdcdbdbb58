using MassTransit;

namespace Platform.Messaging;

/// <summary>
/// What a deployable consumes, said in the fleet's terms: a shared work queue, a per-host queue,
/// or a per-instance fanout subscription.
/// </summary>
public sealed class MessagingBuilder(string host)
{
    internal List<EndpointRegistration> Endpoints { get; } = [];

    /// <summary>This process's host name (nova's <c>host</c> option): the suffix of its own queues.</summary>
    public string Host { get; } = host;

    /// <summary>A queue that competing workers share (<c>conductor</c>, <c>scheduler</c>): casts and calls.</summary>
    public MessagingBuilder Queue(string name, Action<EndpointRegistration> consumers) =>
        Add(new EndpointRegistration(name, EndpointKind.Queue), consumers);

    /// <summary>This host's own queue (<c>compute.&lt;host&gt;</c>): casts and calls meant for one host.</summary>
    public MessagingBuilder HostQueue(string topic, Action<EndpointRegistration> consumers) =>
        Add(new EndpointRegistration(EndpointNames.ForHost(topic, Host), EndpointKind.Queue), consumers);

    /// <summary>
    /// A subscription of this instance to published messages (<c>ovs-agent.&lt;host&gt;</c>): every
    /// subscribed instance gets its own copy. The queue is durable, so nothing published while the
    /// instance restarts is lost.
    /// </summary>
    public MessagingBuilder Fanout(string topic, Action<EndpointRegistration> consumers, string? instance = null) =>
        Add(new EndpointRegistration(EndpointNames.ForHost(topic, instance ?? Host), EndpointKind.Fanout), consumers);

    /// <summary>
    /// A subscription that lives only as long as this process (auto-deleted, not durable): for
    /// state every instance rebuilds at start anyway, such as the token revocation list.
    /// </summary>
    public MessagingBuilder ProcessFanout(string topic, Action<EndpointRegistration> consumers) =>
        Add(new EndpointRegistration(EndpointNames.ForHost(topic, $"{Host}.{Environment.ProcessId}.{Guid.NewGuid().ToString("N")[..6]}"), EndpointKind.Fanout) { Temporary = true }, consumers);

    private MessagingBuilder Add(EndpointRegistration endpoint, Action<EndpointRegistration> consumers)
    {
        consumers(endpoint);
        Endpoints.Add(endpoint);
        return this;
    }
}

public enum EndpointKind
{
    Queue,
    Fanout,
}

public sealed class EndpointRegistration(string name, EndpointKind kind)
{
    public string Name { get; } = name;
    public EndpointKind Kind { get; } = kind;
    internal List<Type> Consumers { get; } = [];

    /// <summary>How many messages this endpoint works on at once (default: MassTransit's).</summary>
    public int? ConcurrentMessageLimit { get; set; }

    /// <summary>Auto-deleted with its process and not durable.</summary>
    public bool Temporary { get; init; }

    public EndpointRegistration Consumer<TConsumer>() where TConsumer : class, IConsumer
    {
        Consumers.Add(typeof(TConsumer));
        return this;
    }
}
