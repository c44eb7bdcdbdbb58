using ComputeAgent.Contracts;
using ComputeAgent.Manager;
using MassTransit;

namespace ComputeAgent.Consumers;

/// <summary>
/// Everything that arrives on a host's queue <c>compute.&lt;host&gt;</c> (nova's compute manager
/// endpoints). One consumer serves every fake host: the instance in the message says which.
/// </summary>
public sealed class ComputeConsumer(ComputeManager manager) :
    IConsumer<BuildAndRunInstance>,
    IConsumer<StopInstance>,
    IConsumer<StartInstance>,
    IConsumer<RebootInstance>,
    IConsumer<PauseInstance>,
    IConsumer<UnpauseInstance>,
    IConsumer<SuspendInstance>,
    IConsumer<ResumeInstance>,
    IConsumer<RebuildInstance>,
    IConsumer<SnapshotInstance>,
    IConsumer<TerminateInstance>,
    IConsumer<AttachVolume>,
    IConsumer<DetachVolume>,
    IConsumer<ExternalInstanceEvent>,
    IConsumer<GetInstanceConsoleOutput>
{
    public Task Consume(ConsumeContext<BuildAndRunInstance> context) => manager.BuildAndRunInstanceAsync(context.Message, context.CancellationToken);

    public Task Consume(ConsumeContext<StopInstance> context) => manager.StopInstanceAsync(context.Message.Instance, context.CancellationToken);

    public Task Consume(ConsumeContext<StartInstance> context) => manager.StartInstanceAsync(context.Message.Instance, context.CancellationToken);

    public Task Consume(ConsumeContext<RebootInstance> context) =>
        manager.RebootInstanceAsync(context.Message.Instance, context.Message.RebootType, context.CancellationToken);

    public Task Consume(ConsumeContext<PauseInstance> context) => manager.PauseInstanceAsync(context.Message.Instance, context.CancellationToken);

    public Task Consume(ConsumeContext<UnpauseInstance> context) => manager.UnpauseInstanceAsync(context.Message.Instance, context.CancellationToken);

    public Task Consume(ConsumeContext<SuspendInstance> context) => manager.SuspendInstanceAsync(context.Message.Instance, context.CancellationToken);

    public Task Consume(ConsumeContext<ResumeInstance> context) => manager.ResumeInstanceAsync(context.Message.Instance, context.CancellationToken);

    public Task Consume(ConsumeContext<RebuildInstance> context) =>
        manager.RebuildInstanceAsync(context.Message.Instance, context.Message.Image, context.CancellationToken);

    public Task Consume(ConsumeContext<SnapshotInstance> context) =>
        manager.SnapshotInstanceAsync(context.Message.Instance, context.Message.ImageId, context.CancellationToken);

    public Task Consume(ConsumeContext<TerminateInstance> context) => manager.TerminateInstanceAsync(context.Message.Instance, context.CancellationToken);

    public Task Consume(ConsumeContext<AttachVolume> context) =>
        manager.AttachVolumeAsync(context.Message.Instance, context.Message.Volume, context.CancellationToken);

    public Task Consume(ConsumeContext<DetachVolume> context) =>
        manager.DetachVolumeAsync(context.Message.Instance, context.Message.Volume, context.CancellationToken);

    public Task Consume(ConsumeContext<ExternalInstanceEvent> context)
    {
        manager.ExternalInstanceEvent(context.Message);
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<GetInstanceConsoleOutput> context) => context.RespondAsync(manager.GetConsoleOutput(context.Message));
}
