using ComputeApi.ExternalEvents;
using ComputeApi.Flavors;
using ComputeApi.InstanceActions;
using ComputeApi.Keypairs;
using ComputeApi.Limits;
using ComputeApi.Quotas;
using ComputeApi.Servers;

namespace ComputeApi;

/// <summary>Servers and what a project uses them with: flavors, keypairs, quotas and limits, instance actions, external events.</summary>
public static class ServersPart
{
    public static void Add(IServiceCollection services)
    {
        services.AddSingleton<QuotaEngine>();
        services.AddSingleton<FlavorStore>();
        services.AddSingleton<AvailabilityZoneCheck>();
        services.AddScoped<ServerAccess>();
        services.AddSingleton(TimeProvider.System);
    }

    public static void Map(RouteGroupBuilder v21)
    {
        v21.MapServers();
        v21.MapServerActions();
        v21.MapServerMetadata();
        v21.MapServerTags();
        v21.MapVolumeAttachments();
        v21.MapInstanceActions();
        v21.MapFlavors();
        v21.MapFlavorExtraSpecs();
        v21.MapFlavorAccess();
        v21.MapKeypairs();
        v21.MapQuotaSets();
        v21.MapLimits();
        v21.MapServerExternalEvents();
    }
}
