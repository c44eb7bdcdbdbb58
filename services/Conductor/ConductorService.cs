using ComputeAgent.Contracts;
using Conductor.Actions;
using Conductor.Agents;
using Conductor.Build;
using Conductor.Contracts;
using Conductor.Placement;
using Conductor.Services;
using Platform.Hosting;
using Platform.Stack;
using Scheduler.Contracts;

namespace Conductor;

/// <summary>The conductor (nova-conductor): the compute database's only writer, the build flow, actions and the agents' calls.</summary>
public static class ConductorService
{
    public static readonly ServiceDescription Description = new("conductor", 8790, ApiFlavor.None);

    /// <summary>Messages of the conductor queue worked on at once by one conductor, unless <c>[conductor] concurrency</c> says otherwise.</summary>
    public const int DefaultConcurrency = 32;

    private static Platform.Messaging.EndpointRegistration Limit(this Platform.Messaging.EndpointRegistration endpoint, int limit)
    {
        endpoint.ConcurrentMessageLimit = limit;
        return endpoint;
    }

    public static WebApplicationBuilder AddConductor(this WebApplicationBuilder builder)
    {
        // Builds wait on the scheduler with their rows held: many at once keep the scheduler and the database busy.
        var concurrency = int.TryParse(builder.Configuration["conductor:concurrency"], out var n) && n > 0 ? n : DefaultConcurrency;
        builder.AddServiceStack(typeof(ConductorService).Assembly, endpoints => endpoints.Queue(Conductor.Contracts.Topics.Conductor, e => e
            .Limit(concurrency)
            .Consumer<BuildInstancesConsumer>()
            .Consumer<RescheduleBuildConsumer>()
            .Consumer<InstanceActionConsumer>()
            .Consumer<ListInstanceActionsConsumer>()
            .Consumer<GetConsoleOutputConsumer>()
            .Consumer<ExternalInstanceEventsConsumer>()
            .Consumer<ListComputeServicesConsumer>()
            .Consumer<UpdateComputeServiceConsumer>()
            .Consumer<DeleteComputeServiceConsumer>())
            .Queue(Conductor.Contracts.Topics.ConductorCompute, e => e
            .Limit(concurrency)
            .Consumer<ComputeServiceReportConsumer>()
            .Consumer<InstanceUpdateConsumer>()
            .Consumer<RecordActionEventConsumer>()
            .Consumer<GetInstancesOnHostConsumer>()));
        builder.AddPlacementClient();

        var services = builder.Services;
        services.AddSchedulerClient();
        services.AddSingleton<ComputeAgentClient>();
        services.AddSingleton<PlacementCalls>();
        services.AddSingleton<BuildScheduler>();
        services.AddSingleton(TimeProvider.System);
        return builder;
    }
}
