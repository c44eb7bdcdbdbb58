using System.Collections.Concurrent;
using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.Messaging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Platform.Bench;

public sealed record Ping(int Sequence, string Payload);
public sealed record Pong(int Sequence);

public sealed class PingConsumer : IConsumer<Ping>
{
    public Task Consume(ConsumeContext<Ping> context) => context.RespondAsync(new Pong(context.Message.Sequence));
}

/// <summary>
/// The call verb over the real RabbitMQ, against a raw RabbitMQ.Client request/reply (direct
/// reply-to) measured in the same run on the same broker, without and with publisher confirms.
/// The verb sends with confirms on; the ratio against the confirmed baseline is what MassTransit's
/// envelope, headers and filters cost, the other what the durability costs besides.
/// </summary>
public sealed class BusScenario : IScenario
{
    private const int Warmup = 1000;
    private const int Sequential = 3000;
    private const int Concurrency = 16;
    private const int ConcurrentCalls = 8000;
    private static readonly string payload = new('x', 256);

    public string Name => "bus";
    public string Description => $"call round trips: {Sequential} sequential, {ConcurrentCalls} with {Concurrency} callers; MassTransit verb vs raw RabbitMQ.Client";

    private static string BrokerUrl => Environment.GetEnvironmentVariable("PLATFORM_BENCH_RABBITMQ") ?? "rabbit://guest:guest@127.0.0.1:5672/";

    public async Task<ScenarioResult> RunAsync()
    {
        var (rawSeq, rawConc) = await RunRawAsync(confirms: false);
        Console.WriteLine($"  raw, no confirms        sequential  {rawSeq}");
        Console.WriteLine($"  raw, no confirms        {Concurrency} callers  {rawConc}");
        var (rawcSeq, rawcConc) = await RunRawAsync(confirms: true);
        Console.WriteLine($"  raw, publisher confirms sequential  {rawcSeq}");
        Console.WriteLine($"  raw, publisher confirms {Concurrency} callers  {rawcConc}");
        var (mtSeq, mtConc) = await RunVerbAsync();
        Console.WriteLine($"  call verb (MassTransit) sequential  {mtSeq}");
        Console.WriteLine($"  call verb (MassTransit) {Concurrency} callers  {mtConc}");
        Console.WriteLine($"  ratio verb/raw (no confirms):   sequential {mtSeq.PerSecond / rawSeq.PerSecond:P0} of calls/s, p50 {mtSeq.P50Ms / rawSeq.P50Ms:F1}x; " +
                          $"{Concurrency} callers {mtConc.PerSecond / rawConc.PerSecond:P0} of calls/s");
        Console.WriteLine($"  ratio verb/raw (with confirms, as the verb sends): sequential {mtSeq.PerSecond / rawcSeq.PerSecond:P0} of calls/s, p50 {mtSeq.P50Ms / rawcSeq.P50Ms:F1}x; " +
                          $"{Concurrency} callers {mtConc.PerSecond / rawcConc.PerSecond:P0} of calls/s");
        return new ScenarioResult(Name,
        [
            new("raw_confirms.sequential.calls_per_s", "1/s", rawcSeq.PerSecond),
            new("raw_confirms.sequential.p50", "ms", rawcSeq.P50Ms),
            new("raw_confirms.sequential.p99", "ms", rawcSeq.P99Ms),
            new("raw_confirms.concurrent.calls_per_s", "1/s", rawcConc.PerSecond),
            new("raw_confirms.concurrent.p50", "ms", rawcConc.P50Ms),
            new("raw_confirms.concurrent.p99", "ms", rawcConc.P99Ms),
            new("ratio_confirms.sequential.calls_per_s", "verb/raw", mtSeq.PerSecond / rawcSeq.PerSecond),
            new("ratio_confirms.concurrent.calls_per_s", "verb/raw", mtConc.PerSecond / rawcConc.PerSecond),
            new("raw.sequential.calls_per_s", "1/s", rawSeq.PerSecond),
            new("raw.sequential.p50", "ms", rawSeq.P50Ms),
            new("raw.sequential.p99", "ms", rawSeq.P99Ms),
            new("raw.concurrent.calls_per_s", "1/s", rawConc.PerSecond),
            new("raw.concurrent.p50", "ms", rawConc.P50Ms),
            new("raw.concurrent.p99", "ms", rawConc.P99Ms),
            new("verb.sequential.calls_per_s", "1/s", mtSeq.PerSecond),
            new("verb.sequential.p50", "ms", mtSeq.P50Ms),
            new("verb.sequential.p99", "ms", mtSeq.P99Ms),
            new("verb.concurrent.calls_per_s", "1/s", mtConc.PerSecond),
            new("verb.concurrent.p50", "ms", mtConc.P50Ms),
            new("verb.concurrent.p99", "ms", mtConc.P99Ms),
            new("ratio.sequential.calls_per_s", "verb/raw", mtSeq.PerSecond / rawSeq.PerSecond),
            new("ratio.concurrent.calls_per_s", "verb/raw", mtConc.PerSecond / rawConc.PerSecond),
        ]);
    }

    private static async Task<(LatencyStats, LatencyStats)> MeasureAsync(Func<int, Task> call)
    {
        for (var i = 0; i < Warmup; i++) await call(i);

        var sequential = new List<double>(Sequential);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < Sequential; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await call(i);
            sequential.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        var seq = LatencyStats.From(sequential, clock.Elapsed.TotalSeconds);

        var concurrent = new ConcurrentBag<double>();
        var next = -1;
        clock.Restart();
        await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < ConcurrentCalls)
            {
                var start = Stopwatch.GetTimestamp();
                await call(i);
                concurrent.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        }));
        return (seq, LatencyStats.From([.. concurrent], clock.Elapsed.TotalSeconds));
    }

    private static async Task<(LatencyStats, LatencyStats)> RunVerbAsync()
    {
        var queue = $"bench.verb.{Guid.NewGuid():N}";
        IHost Build(string instance, Action<MessagingBuilder>? endpoints)
        {
            var builder = Host.CreateApplicationBuilder();
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                [TransportUrl.ConfigKey] = BrokerUrl,
                [MessagingExtensions.HostKey] = instance,
                ["messaging:wait_until_started"] = "true",
            });
            builder.AddMessaging(endpoints);
            return builder.Build();
        }

        using var server = Build("bench-server", b => b.Queue(queue, e => e.Consumer<PingConsumer>()));
        using var client = Build("bench-client", null);
        await server.StartAsync();
        await client.StartAsync();
        try
        {
            var rpc = client.Services.GetRequiredService<IRpcClient>();
            return await MeasureAsync(i => rpc.CallAsync<Ping, Pong>(queue, new Ping(i, payload), TimeSpan.FromSeconds(30)));
        }
        finally
        {
            await client.StopAsync();
            await server.StopAsync();
            await DeleteQueueAsync(queue);
        }
    }

    private static async Task<(LatencyStats, LatencyStats)> RunRawAsync(bool confirms)
    {
        var queue = $"bench.raw.{Guid.NewGuid():N}";
        var factory = new ConnectionFactory { Uri = new Uri(BrokerUrl.Replace("rabbit://", "amqp://", StringComparison.Ordinal)) };

        await using var serverConnection = await factory.CreateConnectionAsync();
        // With confirms, each publish waits for the broker's ack, as the verb's sends do.
        var channelOptions = new CreateChannelOptions(publisherConfirmationsEnabled: confirms, publisherConfirmationTrackingEnabled: confirms);
        await using var serverChannel = await serverConnection.CreateChannelAsync(channelOptions);
        await serverChannel.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: true);
        var server = new AsyncEventingBasicConsumer(serverChannel);
        server.ReceivedAsync += async (_, delivery) =>
        {
            var reply = new BasicProperties { CorrelationId = delivery.BasicProperties.CorrelationId };
            await serverChannel.BasicPublishAsync("", delivery.BasicProperties.ReplyTo!, false, reply, delivery.Body);
        };
        await serverChannel.BasicConsumeAsync(queue, autoAck: true, server);

        await using var clientConnection = await factory.CreateConnectionAsync();
        await using var clientChannel = await clientConnection.CreateChannelAsync(channelOptions);
        var pending = new ConcurrentDictionary<string, TaskCompletionSource>();
        var replies = new AsyncEventingBasicConsumer(clientChannel);
        replies.ReceivedAsync += (_, delivery) =>
        {
            if (pending.TryRemove(delivery.BasicProperties.CorrelationId!, out var done)) done.TrySetResult();
            return Task.CompletedTask;
        };
        await clientChannel.BasicConsumeAsync("amq.rabbitmq.reply-to", autoAck: true, replies);
        var body = System.Text.Encoding.UTF8.GetBytes($"{{\"sequence\":0,\"payload\":\"{payload}\"}}");
        var publishLock = new SemaphoreSlim(1, 1);

        async Task Call(int i)
        {
            var id = Guid.NewGuid().ToString("N");
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            pending[id] = done;
            // A channel is not safe for concurrent publishes.
            await publishLock.WaitAsync();
            try
            {
                await clientChannel.BasicPublishAsync("", queue, false, new BasicProperties { CorrelationId = id, ReplyTo = "amq.rabbitmq.reply-to" }, body);
            }
            finally
            {
                publishLock.Release();
            }
            await done.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }

        return await MeasureAsync(Call);
    }

    private static async Task DeleteQueueAsync(string queue)
    {
        var factory = new ConnectionFactory { Uri = new Uri(BrokerUrl.Replace("rabbit://", "amqp://", StringComparison.Ordinal)) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeleteAsync(queue);
    }
}
