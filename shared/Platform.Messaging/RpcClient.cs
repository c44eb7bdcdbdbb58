using MassTransit;
using Microsoft.Extensions.Options;

namespace Platform.Messaging;

/// <summary>
/// The three verbs of the fleet. Typed clients in each service's Contracts project wrap these
/// (<c>SchedulerClient.CallSelectDestinations</c>); callers never touch the bus directly.
/// </summary>
public interface IRpcClient
{
    /// <summary>Request/response to a named queue; a typed reply, or an <see cref="RpcException"/>.</summary>
    Task<TReply> CallAsync<TRequest, TReply>(string queue, TRequest request, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        where TRequest : class where TReply : class;

    /// <summary>Fire and forget to one named queue; one of its consumers gets it.</summary>
    Task CastAsync<T>(string queue, T message, CancellationToken cancellationToken = default) where T : class;

    /// <summary>To every endpoint subscribed to <typeparamref name="T"/>.</summary>
    Task FanoutAsync<T>(T message, CancellationToken cancellationToken = default) where T : class;
}

public sealed class MessagingOptions
{
    /// <summary>Default call timeout (oslo's rpc_response_timeout, 60 s there).</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(60);
}

internal sealed class RpcClient(IBus bus, IOptions<MessagingOptions> options) : IRpcClient
{
    // One request client per destination and message type, made once: building one per call
    // costs more than the call's own bookkeeping.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(Type, string), object> clients = new();

    public async Task<TReply> CallAsync<TRequest, TReply>(string queue, TRequest request, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        where TRequest : class where TReply : class
    {
        var wait = timeout ?? options.Value.CallTimeout;
        var client = (IRequestClient<TRequest>)clients.GetOrAdd((typeof(TRequest), queue),
            static (key, b) => b.CreateRequestClient<TRequest>(EndpointNames.Queue(key.Item2)), bus);
        try
        {
            // MassTransit's own timeout and the token do not end a request whose send never
            // completes (a publish the broker never confirms): the caller's wait is bounded here too.
            var response = await FirstAloneAsync(queue, () => client.GetResponse<TReply>(request, cancellationToken, RequestTimeout.After(ms: (int)Math.Ceiling(wait.TotalMilliseconds)))
                .WaitAsync(wait + SendGrace, cancellationToken), cancellationToken);
            return response.Message;
        }
        catch (RequestTimeoutException e)
        {
            throw new RpcTimeoutException(queue, typeof(TRequest).Name, wait, e);
        }
        catch (TimeoutException e)
        {
            throw new RpcTimeoutException(queue, typeof(TRequest).Name, wait, e);
        }
        catch (RequestFaultException e)
        {
            var info = e.Fault?.Exceptions?.FirstOrDefault();
            throw new RpcRemoteException(queue, info?.ExceptionType ?? "unknown", info?.Message ?? e.Message, e);
        }
    }

    public async Task CastAsync<T>(string queue, T message, CancellationToken cancellationToken = default) where T : class
    {
        var endpoint = await bus.GetSendEndpoint(EndpointNames.Queue(queue));
        await FirstAloneAsync(queue, async () =>
        {
            await endpoint.Send(message, cancellationToken).WaitAsync(options.Value.CallTimeout, cancellationToken);
            return true;
        }, cancellationToken);
    }

    // Queues this process has sent to once already; the gates of those it has not.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> warmed = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> firstSends = new();

    /// <summary>
    /// The first send to a queue goes alone; the rest wait for it. A burst of first sends at
    /// once (a process that starts under load) was seen to leave publishes that never complete
    /// while the bus set up its channel and the queue's topology; once one send has gone, the
    /// others run freely.
    /// </summary>
    private async Task<T> FirstAloneAsync<T>(string queue, Func<Task<T>> send, CancellationToken cancellationToken)
    {
        if (warmed.ContainsKey(queue)) return await send();
        var gate = firstSends.GetOrAdd(queue, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            return await send();
        }
        finally
        {
            // Whatever its outcome: the setup is done, and callers must not queue behind a slow reply.
            warmed.TryAdd(queue, true);
            gate.Release();
        }
    }

    public Task FanoutAsync<T>(T message, CancellationToken cancellationToken = default) where T : class =>
        bus.Publish(message, cancellationToken).WaitAsync(options.Value.CallTimeout, cancellationToken);

    /// <summary>How much longer than its timeout a call may take before it is given up on whatever MassTransit says.</summary>
    private static readonly TimeSpan SendGrace = TimeSpan.FromSeconds(5);
}
