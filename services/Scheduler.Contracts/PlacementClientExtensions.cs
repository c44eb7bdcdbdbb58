using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Scheduler.Contracts;

public static class PlacementClientExtensions
{
    /// <summary>Where the scheduler serves placement over gRPC unless <c>[placement] grpc_url</c> says otherwise.</summary>
    public const string DefaultGrpcUrl = "http://127.0.0.1:8779";

    /// <summary>
    /// The placement gRPC client (<see cref="Placement.Placement.PlacementClient"/>), pointed at
    /// <c>[placement] grpc_url</c>. Cleartext HTTP/2 with prior knowledge, as the scheduler serves it.
    /// </summary>
    public static IHostApplicationBuilder AddPlacementClient(this IHostApplicationBuilder builder)
    {
        var url = builder.Configuration["placement:grpc_url"] ?? DefaultGrpcUrl;
        builder.Services.AddGrpcClient<Placement.Placement.PlacementClient>(o => o.Address = new Uri(url));
        return builder;
    }

    /// <summary>The scheduler's select_destinations client.</summary>
    public static IServiceCollection AddSchedulerClient(this IServiceCollection services) => services.AddSingleton<SchedulerClient>();
}
