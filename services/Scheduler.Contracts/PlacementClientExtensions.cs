using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Catalog;

namespace Scheduler.Contracts;

public static class PlacementClientExtensions
{
    /// <summary>Where the scheduler serves placement over gRPC unless <c>[placement] grpc_url</c> says otherwise.</summary>
    public const string DefaultGrpcUrl = "http://127.0.0.1:8779";

    /// <summary>The metadata key that carries the caller's token, as <c>X-Auth-Token</c> does over REST.</summary>
    public const string TokenMetadataKey = "x-auth-token";

    /// <summary>
    /// The placement gRPC client (<see cref="Placement.Placement.PlacementClient"/>), pointed at
    /// <c>[placement] grpc_url</c>: cleartext HTTP/2 with prior knowledge, as the scheduler serves
    /// it, and every call carrying this service's own token, which placement's policy checks, and
    /// the caller's global request id.
    /// </summary>
    public static IHostApplicationBuilder AddPlacementClient(this IHostApplicationBuilder builder)
    {
        var url = builder.Configuration["placement:grpc_url"] ?? DefaultGrpcUrl;
        builder.Services.AddGrpcClient<Placement.Placement.PlacementClient>(o => o.Address = new Uri(url))
            .AddInterceptor(() => new RequestIdInterceptor())
            .AddCallCredentials(async (_, metadata, services) =>
                metadata.Add(TokenMetadataKey, await services.GetRequiredService<IServiceCatalog>().GetTokenAsync()))
            // Inside the deployment the channel is plain HTTP/2, like every other internal call here.
            .ConfigureChannel(o => o.UnsafeUseInsecureChannelCallCredentials = true);
        return builder;
    }

    /// <summary>The scheduler's select_destinations client.</summary>
    public static IServiceCollection AddSchedulerClient(this IServiceCollection services) => services.AddSingleton<SchedulerClient>();
}
