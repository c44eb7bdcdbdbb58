using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.Logging;
using Platform.Context;

namespace Platform.Messaging;

/// <summary>Stamps the ambient caller context on every message sent or published.</summary>
internal static class ContextStamping
{
    public static void Stamp(SendContext context)
    {
        var caller = RequestContextAccessor.Current;
        if (caller is null) return;
        foreach (var (key, value) in ContextHeaders.ToBusHeaders(caller))
        {
            // Headers already set (the outbox replays the sender's) win over the ambient context.
            if (!context.Headers.TryGetHeader(key, out _))
                context.Headers.Set(key, value);
        }
    }
}

/// <summary>
/// Makes the sender's context the ambient one for the consumer, with a request id of its own,
/// and puts both ids in the log scope so one request can be followed across services. A message
/// sent on someone's behalf (it carries a request id) gets one line when it has been handled, as
/// a REST request does; a service's own periodic traffic (heartbeats, reports) does not.
/// </summary>
public sealed class ContextConsumeFilter<T>(ILogger<ContextConsumeFilter<T>> logger) : IFilter<ConsumeContext<T>> where T : class
{
    public async Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        var caller = ContextHeaders.FromBusHeaders(key => context.Headers.Get<string>(key));
        var onBehalf = context.Headers.TryGetHeader(ContextHeaders.BusRequestId, out _);
        var previous = RequestContextAccessor.Current;
        RequestContextAccessor.Current = caller;
        try
        {
            using (logger.BeginScope(new Dictionary<string, object?>
            {
                ["RequestId"] = caller.RequestId,
                ["GlobalRequestId"] = caller.GlobalRequestId,
                ["MessageType"] = typeof(T).Name,
            }))
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    await next.Send(context);
                }
                catch (Exception e) when (onBehalf)
                {
                    logger.LogInformation("{MessageType} {MessageId} failed after {Seconds:0.000} s: {Error}",
                        typeof(T).Name, context.MessageId, Stopwatch.GetElapsedTime(started).TotalSeconds, e.Message);
                    throw;
                }
                if (onBehalf)
                {
                    logger.LogInformation("{MessageType} {MessageId} handled in {Seconds:0.000} s",
                        typeof(T).Name, context.MessageId, Stopwatch.GetElapsedTime(started).TotalSeconds);
                }
            }
        }
        finally
        {
            RequestContextAccessor.Current = previous;
        }
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("requestContext");
}
