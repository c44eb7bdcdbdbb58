using System.Collections.Concurrent;
using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Context;
using Platform.Messaging;

namespace Platform.Messaging.Tests;

public sealed record Echo(string Text);
public sealed record Echoed(string Text, string? GlobalRequestId, string? UserId, string? ProjectId, IReadOnlyList<string> Roles);
public sealed record Explode(string Why);
public sealed record WorkItem(int Number);
public sealed record Announcement(string Text);

/// <summary>What one test process consumed, tagged with the instance that consumed it.</summary>
public sealed class Received(string instance)
{
    public string Instance { get; } = instance;
    public ConcurrentQueue<object> Messages { get; } = new();
    public ConcurrentQueue<RequestContext?> Contexts { get; } = new();

    /// <summary>Each message with the span its consumer ran under (null without one).</summary>
    public ConcurrentQueue<(object Message, Activity? Span)> Spans { get; } = new();
}

public sealed class EchoConsumer : IConsumer<Echo>
{
    public Task Consume(ConsumeContext<Echo> context)
    {
        var caller = RequestContextAccessor.Current;
        return context.RespondAsync(new Echoed(context.Message.Text, caller?.GlobalRequestId, caller?.UserId, caller?.ProjectId, caller?.Roles ?? []));
    }
}

public sealed class ExplodeConsumer : IConsumer<Explode>
{
    public Task Consume(ConsumeContext<Explode> context) => throw new InvalidOperationException(context.Message.Why);
}

public sealed class RecordingConsumer(Received received) : IConsumer<WorkItem>, IConsumer<Announcement>
{
    public Task Consume(ConsumeContext<WorkItem> context) => Record(context.Message);

    public Task Consume(ConsumeContext<Announcement> context) => Record(context.Message);

    private Task Record(object message)
    {
        received.Contexts.Enqueue(RequestContextAccessor.Current);
        received.Spans.Enqueue((message, Activity.Current));
        received.Messages.Enqueue(message);
        return Task.CompletedTask;
    }
}

/// <summary>A real host process in miniature: configuration, the bus and its endpoints.</summary>
public static class TestBus
{
    public static async Task<IHost> StartAsync(string transportUrl, string instance, Action<MessagingBuilder>? endpoints = null,
        Action<HostApplicationBuilder>? more = null, IDictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateApplicationBuilder();
        var config = new Dictionary<string, string?>
        {
            [TransportUrl.ConfigKey] = transportUrl,
            [MessagingExtensions.HostKey] = instance,
            ["messaging:wait_until_started"] = "true",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) config[k] = v;
        builder.Configuration.AddInMemoryCollection(config);
        builder.Services.AddSingleton(new Received(instance));
        builder.AddMessaging(endpoints);
        more?.Invoke(builder);
        var host = builder.Build();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await host.StartAsync(cts.Token);
        return host;
    }

    public static Received Received(this IHost host) => host.Services.GetRequiredService<Received>();

    public static IRpcClient Rpc(this IHost host) => host.Services.GetRequiredService<IRpcClient>();

    public static async Task StopQuietlyAsync(this IHost host)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await host.StopAsync(cts.Token);
        host.Dispose();
    }
}
