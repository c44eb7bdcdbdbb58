using System.Collections.Concurrent;
using ComputeAgent.Contracts;
using Conductor.Contracts;
using MassTransit;
using Scheduler.Contracts;

namespace Conductor.Tests;

/// <summary>
/// The conductor's peers as a test plays them: a scheduler answering select_destinations, compute
/// hosts that record what is cast to them, and a subscriber to the instance events.
/// </summary>
public sealed class Peers
{
    public ConcurrentQueue<SelectDestinations> SchedulerRequests { get; } = new();

    /// <summary>How the test scheduler answers; by default every instance on the first hosts not in its group, in order.</summary>
    public Func<SelectDestinations, SelectDestinationsReply> Answer { get; set; } = Pick(["host-1", "host-2", "host-3"]);

    public ConcurrentQueue<(string Host, object Message)> Casts { get; } = new();
    public ConcurrentQueue<InstanceInfo> Events { get; } = new();
    public ConcurrentDictionary<Type, int> Consumed { get; } = new();

    /// <summary>The builds the conductor finished consuming, in order, so a test can wait for its own.</summary>
    public ConcurrentQueue<BuildInstances> ConsumedBuilds { get; } = new();

    public static Selection On(string host) => new()
    {
        ServiceHost = host,
        Nodename = host + "-node",
        ComputeNodeUuid = "cn-" + host,
        AvailabilityZone = "nova",
        Allocation = new Dictionary<string, long> { ["VCPU"] = 1, ["MEMORY_MB"] = 512 },
    };

    /// <summary>A scheduler over <paramref name="hosts"/> that keeps anti-affinity: hosts of the group are skipped.</summary>
    public static Func<SelectDestinations, SelectDestinationsReply> Pick(IReadOnlyList<string> hosts) => request =>
    {
        var taken = request.Spec.InstanceGroup is { Policy: "anti-affinity" } g ? g.Hosts.ToHashSet() : [];
        var answer = new List<IReadOnlyList<Selection>>();
        foreach (var _ in request.InstanceUuids)
        {
            var free = hosts.Where(h => !taken.Contains(h)).ToList();
            if (free.Count == 0) return new SelectDestinationsReply { NoValidHostReason = "There are not enough hosts available." };
            answer.Add([.. free.Select(On)]);
            if (request.Spec.InstanceGroup is { Policy: "anti-affinity" }) taken.Add(free[0]);
        }
        return new SelectDestinationsReply { Selections = answer };
    };

    public IEnumerable<T> CastsTo<T>(string? host = null) =>
        Casts.Where(c => (host is null || c.Host == host) && c.Message is T).Select(c => (T)c.Message);

    public IEnumerable<(string Host, T Message)> CastsOf<T>() =>
        Casts.Where(c => c.Message is T).Select(c => (c.Host, (T)c.Message));

    public IReadOnlyList<InstanceInfo> EventsOf(string uuid) => [.. Events.Where(e => e.Uuid == uuid)];

    public InstanceInfo? Latest(string uuid) => Events.Where(e => e.Uuid == uuid).MaxBy(e => e.Version);
}

public sealed class TestSchedulerConsumer(Peers peers) : IConsumer<SelectDestinations>
{
    public async Task Consume(ConsumeContext<SelectDestinations> context)
    {
        peers.SchedulerRequests.Enqueue(context.Message);
        await context.RespondAsync(peers.Answer(context.Message));
    }
}

/// <summary>Every compute host of the test: records the casts on <c>compute.&lt;host&gt;</c> and answers console output.</summary>
public sealed class TestComputeConsumer(Peers peers) : IConsumer<BuildAndRunInstance>, IConsumer<TerminateInstance>, IConsumer<StopInstance>,
    IConsumer<StartInstance>, IConsumer<RebootInstance>, IConsumer<PauseInstance>, IConsumer<ExternalInstanceEvent>, IConsumer<GetInstanceConsoleOutput>
{
    public Task Consume(ConsumeContext<BuildAndRunInstance> context) => Record(context);
    public Task Consume(ConsumeContext<TerminateInstance> context) => Record(context);
    public Task Consume(ConsumeContext<StopInstance> context) => Record(context);
    public Task Consume(ConsumeContext<StartInstance> context) => Record(context);
    public Task Consume(ConsumeContext<RebootInstance> context) => Record(context);
    public Task Consume(ConsumeContext<PauseInstance> context) => Record(context);
    public Task Consume(ConsumeContext<ExternalInstanceEvent> context) => Record(context);

    public async Task Consume(ConsumeContext<GetInstanceConsoleOutput> context)
    {
        await Record(context);
        await context.RespondAsync(new InstanceConsoleOutput($"console of {context.Message.InstanceUuid} on {HostOf(context)}"));
    }

    private Task Record<T>(ConsumeContext<T> context) where T : class
    {
        peers.Casts.Enqueue((HostOf(context), context.Message));
        return Task.CompletedTask;
    }

    private static string HostOf(ConsumeContext context) => context.ReceiveContext.InputAddress.AbsolutePath.Split('/').Last()["compute.".Length..];
}

public sealed class InstanceEventsConsumer(Peers peers) : IConsumer<InstanceUpdated>
{
    public Task Consume(ConsumeContext<InstanceUpdated> context)
    {
        peers.Events.Enqueue(context.Message.Instance);
        return Task.CompletedTask;
    }
}

/// <summary>Counts the messages the conductor finished consuming, so a test can wait for a repeat to be handled.</summary>
public sealed class CountingConsumeObserver(Peers peers) : IConsumeObserver
{
    public Task PreConsume<T>(ConsumeContext<T> context) where T : class => Task.CompletedTask;

    public Task PostConsume<T>(ConsumeContext<T> context) where T : class
    {
        peers.Consumed.AddOrUpdate(typeof(T), 1, (_, n) => n + 1);
        if (context.Message is BuildInstances build) peers.ConsumedBuilds.Enqueue(build);
        return Task.CompletedTask;
    }

    public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception) where T : class => Task.CompletedTask;
}
