using ComputeApi.Common;
using ComputeApi.ReadModel;
using ComputeApi.Versions;
using Conductor.Contracts;
using Image.Contracts;
using NetworkServer.Contracts;
using Platform.Auth.Policy;
using Platform.Hosting;
using Platform.Stack;
using Scheduler.Contracts;

namespace ComputeApi;

/// <summary>The compute API (nova-api): the v2.1 API with microversions, over its own database and the conductor.</summary>
public static class ComputeApiService
{
    public static readonly ServiceDescription Description = new("compute-api", 8774, ApiFlavor.Nova);

    public static WebApplicationBuilder AddComputeApi(this WebApplicationBuilder builder)
    {
        builder.AddServiceStack(typeof(ComputeApiService).Assembly, endpoints =>
            // One subscription shared by every API instance: they share the read model's database.
            endpoints.Fanout("instance-events", e => e.Consumer<InstanceUpdatedConsumer>(), instance: "compute-api"));
        builder.AddPolicy(NovaPolicy.Defaults);
        builder.AddPlacementClient();

        var services = builder.Services;
        services.AddSingleton<NovaAuthz>();
        services.AddSingleton<ConductorClient>();
        services.AddHttpClient<ImageClient>();
        services.AddHttpClient<NetworkClient>();
        services.AddHttpClient<Volume.Contracts.VolumeClient>();
        ServersPart.Add(services);
        InfrastructurePart.Add(services);
        return builder;
    }

    public static WebApplication MapComputeApi(this WebApplication app)
    {
        app.UseMiddleware<MicroversionMiddleware>();
        app.MapVersions();
        var v21 = app.MapGroup("/v2.1");
        ServersPart.Map(v21);
        InfrastructurePart.Map(v21);
        return app;
    }
}
