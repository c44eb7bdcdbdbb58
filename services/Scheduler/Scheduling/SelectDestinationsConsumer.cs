using MassTransit;
using Scheduler.Contracts;

namespace Scheduler.Scheduling;

/// <summary>The scheduler queue's select_destinations call.</summary>
public sealed class SelectDestinationsConsumer(FilterScheduler scheduler) : IConsumer<SelectDestinations>
{
    public async Task Consume(ConsumeContext<SelectDestinations> context) =>
        await context.RespondAsync(await scheduler.SelectDestinationsAsync(context.Message, context.CancellationToken));
}
