using Microsoft.AspNetCore.Routing;
using Platform.Auth.Policy;
using Platform.Hosting;
using Platform.Stack;
using Volume.Common;
using Volume.Limits;
using Volume.Quotas;
using Volume.Versions;

namespace Volume;

/// <summary>
/// The volume service (cinder-api, cinder-scheduler, cinder-volume): what it adds to the standard
/// service stack. Now the v3 API's foundation: version discovery, microversions, both URL forms,
/// quota sets and limits over its own database.
/// </summary>
public static class VolumeService
{
    public static readonly ServiceDescription Description = new("volume", 8776, ApiFlavor.Cinder);

    public static WebApplicationBuilder AddVolume(this WebApplicationBuilder builder)
    {
        builder.AddServiceStack(typeof(VolumeService).Assembly);
        builder.AddPolicy(CinderPolicy.Defaults);

        var services = builder.Services;
        services.Configure<RouteOptions>(o => o.SetParameterPolicy<ProjectIdRouteConstraint>(ProjectRoutes.ConstraintName));
        services.AddSingleton<CinderAuthz>();
        services.AddSingleton<QuotaEngine>();
        return builder;
    }

    public static WebApplication MapVolume(this WebApplication app)
    {
        app.UseMiddleware<MicroversionMiddleware>();
        app.MapVersions();
        foreach (var v3 in ProjectRoutes.Groups(app))
        {
            v3.MapQuotaSets();
            v3.MapLimits();
        }
        return app;
    }
}
