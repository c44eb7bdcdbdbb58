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
            var response = await client.GetResponse<TReply>(request, cancellationToken, RequestTimeout.After(ms: (int)Math.Ceiling(wait.TotalMilliseconds)));
            return response.Message;
        }
        catch (RequestTimeoutException e)
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
        await endpoint.Send(message, cancellationToken);
    }

    public Task FanoutAsync<T>(T message, CancellationToken cancellationToken = default) where T : class =>
        bus.Publish(message, cancellationToken);
}
