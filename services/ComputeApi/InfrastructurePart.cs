using ComputeApi.Aggregates;
using ComputeApi.AvailabilityZones;
using ComputeApi.Hypervisors;
using ComputeApi.Quotas;
using ComputeApi.ServerGroups;
using ComputeApi.Services;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ComputeApi;

/// <summary>What operators manage: server groups, availability zones, hypervisors, compute services and aggregates.</summary>
public static class InfrastructurePart
{
    public static void Add(IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        // The servers part registers the quota engine; this keeps server groups working without it.
        services.TryAddSingleton<QuotaEngine>();
        services.AddSingleton<ServerGroupLookup>();
        services.AddSingleton<HostZones>();
        services.AddSingleton<HypervisorSources>();
        services.AddSingleton<AggregatePusher>();
        services.AddHostedService<AggregateReconciler>();
    }

    public static void Map(RouteGroupBuilder v21)
    {
        v21.MapServerGroups();
        v21.MapAvailabilityZones();
        v21.MapHypervisors();
        v21.MapServices();
        v21.MapAggregates();
    }
}
