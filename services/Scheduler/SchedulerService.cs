using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Platform.Hosting;
using Platform.Stack;
using Scheduler.Contracts;
using Scheduler.Placement;
using Scheduler.Scheduling;

namespace Scheduler;

/// <summary>The scheduler and placement (nova-scheduler, placement): what it adds to the standard service stack.</summary>
public static class SchedulerService
{
    public static readonly ServiceDescription Description = new("scheduler", 8778, ApiFlavor.Placement);

    /// <summary>Where placement's gRPC is served unless <c>[placement] grpc_listen</c> says otherwise.</summary>
    public const string DefaultGrpcListen = PlacementClientExtensions.DefaultGrpcUrl;

    public static WebApplicationBuilder AddScheduler(this WebApplicationBuilder builder)
    {
        builder.AddServiceStack(typeof(SchedulerService).Assembly,
            endpoints => endpoints.Queue(Topics.Scheduler, e => e.Consumer<SelectDestinationsConsumer>()));

        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => SchedulerOptions.FromConfiguration(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton<PlacementStore>();
        services.AddSingleton<FilterScheduler>();
        services.AddHostedService<HostStateWarmUp>();
        services.AddSingleton<PlacementAuthInterceptor>();
        services.AddGrpc(o => o.Interceptors.Add<PlacementAuthInterceptor>());
        ConfigureListening(builder);
        return builder;
    }

    public static WebApplication MapScheduler(this WebApplication app)
    {
        // Anonymous to the REST token middleware: the interceptor checks the token and answers in gRPC's terms.
        app.MapGrpcService<PlacementService>().AllowAnonymous();
        return app;
    }

    /// <summary>
    /// Placement's gRPC on its own endpoint, HTTP/2 only (cleartext with prior knowledge). Kestrel's
    /// explicit endpoints replace the URLs the defaults set, so the API endpoints are listed here too.
    /// </summary>
    private static void ConfigureListening(WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var api = configuration["urls"] is { Length: > 0 } urls ? urls : configuration["api:listen"] ?? $"http://127.0.0.1:{Description.DefaultPort}";
        var grpc = configuration["placement:grpc_listen"] ?? DefaultGrpcListen;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            foreach (var url in api.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                Listen(kestrel, url, HttpProtocols.Http1AndHttp2);
            Listen(kestrel, grpc, HttpProtocols.Http2);
        });
    }

    private static void Listen(KestrelServerOptions kestrel, string url, HttpProtocols protocols)
    {
        var uri = new Uri(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal));
        if (uri.Scheme != Uri.UriSchemeHttp) throw new InvalidOperationException($"only http:// endpoints are supported here, not {url}");
        if (string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase))
            kestrel.ListenLocalhost(uri.Port, o => o.Protocols = protocols);
        else if (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address))
            kestrel.Listen(address, uri.Port, o => o.Protocols = protocols);
        else
            kestrel.ListenAnyIP(uri.Port, o => o.Protocols = protocols);
    }
}
