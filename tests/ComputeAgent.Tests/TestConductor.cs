using System.Collections.Concurrent;
using Conductor.Contracts;
using MassTransit;
using Scheduler.Contracts;

namespace ComputeAgent.Tests;

/// <summary>
/// The conductor as a compute host sees it, played by the test on the bus: heartbeats, a tiny
/// instance table changed by compare-and-set on the task state, action events, and reschedules.
/// </summary>
public sealed class TestConductorState
{
    public ConcurrentQueue<ComputeServiceReport> Reports { get; } = new();
    public ConcurrentDictionary<string, InstanceInfo> Instances { get; } = new();
    public ConcurrentQueue<InstanceUpdate> Updates { get; } = new();
    public ConcurrentQueue<RecordActionEvent> ActionEvents { get; } = new();
    public ConcurrentQueue<RescheduleBuild> Reschedules { get; } = new();
    public ConcurrentDictionary<string, bool> DisabledHosts { get; } = new();

    public static InstanceInfo NewInstance(string host, string vmState = VmStates.Building, string? taskState = TaskStates.Scheduling, string? uuid = null) => new()
    {
        Uuid = uuid ?? Guid.NewGuid().ToString(),
        Version = 1,
        ProjectId = "project-a",
        UserId = "user-a",
        DisplayName = "vm-" + Guid.NewGuid().ToString("N")[..6],
        VmState = vmState,
        TaskState = taskState,
        Host = host,
        Node = host,
        Flavor = new FlavorSpec { Id = "1", Name = "m1.tiny", Vcpus = 1, MemoryMb = 512, RootGb = 1 },
        ImageRef = "image-1",
        SecurityGroups = ["default"],
        CreatedAt = DateTime.UtcNow,
    };

    public InstanceInfo Add(InstanceInfo instance) => Instances[instance.Uuid] = instance;

    public InstanceInfo Get(string uuid) => Instances[uuid];

    /// <summary>What the real conductor does before it casts an action: the task state the host expects.</summary>
    public InstanceInfo SetTask(string uuid, string? taskState) =>
        Instances.AddOrUpdate(uuid, _ => throw new KeyNotFoundException(uuid), (_, i) => i with { TaskState = taskState, Version = i.Version + 1 });

    public IReadOnlyList<RecordActionEvent> EventsOf(string uuid) => [.. ActionEvents.Where(e => e.InstanceUuid == uuid)];

    public InstanceUpdateReply Apply(InstanceUpdate update)
    {
        lock (Instances)
        {
            if (!Instances.TryGetValue(update.InstanceUuid, out var current) || current.Deleted)
                return new InstanceUpdateReply { NotFound = true };
            if (update.ExpectedTaskStates is { } expected && !expected.Contains(current.TaskState))
                return new InstanceUpdateReply { Instance = current };
            var c = update.Changes;
            var next = current with
            {
                Version = current.Version + 1,
                VmState = c.VmState ?? current.VmState,
                TaskState = c.SetTaskState ? c.TaskState : current.TaskState,
                PowerState = c.PowerState ?? current.PowerState,
                Host = c.Host ?? current.Host,
                Node = c.Node ?? current.Node,
                LaunchedAt = c.LaunchedAt ?? current.LaunchedAt,
                TerminatedAt = c.TerminatedAt ?? current.TerminatedAt,
                NetworkInfo = c.NetworkInfo ?? current.NetworkInfo,
                BlockDevices = BlockDeviceChanges.Merge(current.BlockDevices, c.SetBlockDevices, c.RemoveBlockDevices),
                ImageRef = c.ImageRef ?? current.ImageRef,
                Fault = c.Fault ?? current.Fault,
                Deleted = c.Deleted || current.Deleted,
                UpdatedAt = DateTime.UtcNow,
            };
            Instances[next.Uuid] = next;
            // An event carried by the update is recorded with it, as the conductor does.
            if (update.ActionEvent is { } actionEvent) ActionEvents.Enqueue(actionEvent with { InstanceUuid = next.Uuid });
            return new InstanceUpdateReply { Updated = true, Instance = next };
        }
    }
}

public sealed class TestConductorConsumer(TestConductorState state) :
    IConsumer<ComputeServiceReport>, IConsumer<InstanceUpdate>, IConsumer<RecordActionEvent>, IConsumer<GetInstancesOnHost>, IConsumer<RescheduleBuild>
{
    public Task Consume(ConsumeContext<ComputeServiceReport> context)
    {
        state.Reports.Enqueue(context.Message);
        var disabled = state.DisabledHosts.ContainsKey(context.Message.Host);
        return context.RespondAsync(new ComputeServiceReportReply("svc-" + context.Message.Host, disabled, false));
    }

    public Task Consume(ConsumeContext<InstanceUpdate> context)
    {
        state.Updates.Enqueue(context.Message);
        return context.RespondAsync(state.Apply(context.Message));
    }

    public Task Consume(ConsumeContext<RecordActionEvent> context)
    {
        state.ActionEvents.Enqueue(context.Message);
        return context.RespondAsync(new RecordActionEventReply(true));
    }

    public Task Consume(ConsumeContext<GetInstancesOnHost> context) =>
        context.RespondAsync(new InstancesOnHostReply([.. state.Instances.Values.Where(i => i.Host == context.Message.Host && !i.Deleted)]));

    public Task Consume(ConsumeContext<RescheduleBuild> context)
    {
        state.Reschedules.Enqueue(context.Message);
        return Task.CompletedTask;
    }
}
