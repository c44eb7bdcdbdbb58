using Platform.Messaging;

namespace Scheduler.Contracts;

/// <summary>The scheduler as the conductor calls it (nova's scheduler rpcapi): one verb, a call.</summary>
public sealed class SchedulerClient(IRpcClient rpc)
{
    /// <summary>Hosts for the instances, primaries claimed; <see cref="NoValidHostException"/> when none fits.</summary>
    public async Task<IReadOnlyList<IReadOnlyList<Selection>>> CallSelectDestinationsAsync(SelectDestinations request, CancellationToken cancellationToken = default)
    {
        var reply = await rpc.CallAsync<SelectDestinations, SelectDestinationsReply>(Topics.Scheduler, request, cancellationToken: cancellationToken);
        if (reply.NoValidHostReason is { } reason) throw new NoValidHostException(reason);
        return reply.Selections;
    }
}
