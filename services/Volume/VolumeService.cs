using Platform.HostCommands;
using Image.Contracts;
using Microsoft.AspNetCore.Routing;
using Platform.Auth.Policy;
using Platform.Hosting;
using Platform.Stack;
using Volume.Attachments;
using Volume.Backends;
using Volume.Common;
using Volume.Contracts;
using Volume.Limits;
using Volume.Quotas;
using Volume.Scheduling;
using Volume.Services;
using Volume.Snapshots;
using Volume.Types;
using Volume.Versions;
using Volume.Volumes;

namespace Volume;

/// <summary>
/// The volume service: cinder-api, cinder-scheduler and cinder-volume in one deployable, each a
/// role this process may run or not (<c>--roles api,scheduler,backend</c>, all three by
/// default), so a storage host runs only its backends. The roles share the service's database
/// and reach each other over the bus: the API casts new volumes to <c>volume.scheduler</c>, the
/// scheduler and the API cast work to a backend's own queue <c>volume.<c>volume.&lt;host&gt;@&lt;backend&gt;</c>lt;host<c>volume.&lt;host&gt;@&lt;backend&gt;</c>gt;.<c>volume.&lt;host&gt;@&lt;backend&gt;</c>lt;backend<c>volume.&lt;host&gt;@&lt;backend&gt;</c>gt;</c>.
/// </summary>
public static class VolumeService
{
    public static readonly ServiceDescription Description = new("volume", 8776, ApiFlavor.Cinder);

    public static WebApplicationBuilder AddVolume(this WebApplicationBuilder builder)
    {
        var settings = VolumeSettings.From(builder.Configuration);
        builder.AddServiceStack(typeof(VolumeService).Assembly, endpoints =>
        {
            if (settings.Runs(VolumeSettings.SchedulerRole))
                endpoints.Queue(Topics.Scheduler, e => e.Consumer<ScheduleCreateVolumeConsumer>());
            if (settings.Runs(VolumeSettings.BackendRole))
                foreach (var backend in settings.EnabledBackends)
                    endpoints.Queue(Topics.Backend($"{settings.Host}@{backend}"), e => e
                        .Consumer<CreateVolumeConsumer>()
                        .Consumer<DeleteVolumeConsumer>()
                        .Consumer<ExtendVolumeConsumer>()
                        .Consumer<CreateSnapshotConsumer>()
                        .Consumer<DeleteSnapshotConsumer>()
                        .Consumer<InitializeConnectionConsumer>()
                        .Consumer<TerminateConnectionConsumer>());
        });
        builder.AddPolicy(CinderPolicy.Defaults);

        var services = builder.Services;
        services.AddSingleton(settings);
        services.AddSingleton(TimeProvider.System);
        services.Configure<RouteOptions>(o => o.SetParameterPolicy<ProjectIdRouteConstraint>(ProjectRoutes.ConstraintName));
        services.AddSingleton<CinderAuthz>();
        services.AddSingleton<QuotaEngine>();
        services.AddSingleton<QuotaCheck>();
        services.AddSingleton<VolumeSchedulerClient>();
        services.AddSingleton<VolumeBackendClient>();
        services.AddHttpClient<ImageClient>();
        services.AddHostCommands();
        services.AddSingleton<VolumeBackends>();
        services.AddSingleton<VolumeScheduler>();
        services.AddSingleton<VolumeManager>();
        if (settings.Runs(VolumeSettings.SchedulerRole) || settings.Runs(VolumeSettings.BackendRole))
            services.AddHostedService<ServiceReporter>();
        return builder;
    }

    public static WebApplication MapVolume(this WebApplication app)
    {
        if (!app.Services.GetRequiredService<VolumeSettings>().Runs(VolumeSettings.ApiRole)) return app;
        app.UseMiddleware<MicroversionMiddleware>();
        app.MapVersions();
        foreach (var v3 in ProjectRoutes.Groups(app))
        {
            v3.MapQuotaSets();
            v3.MapLimits();
            v3.MapVolumes();
            v3.MapVolumeActions();
            v3.MapAttachments();
            v3.MapSnapshots();
            v3.MapServices();
            v3.MapVolumeTypes();
        }
        return app;
    }
}
