using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Platform.Hosting;

/// <summary>
/// What every service and agent gets from one call: layered configuration, JSON logs with the
/// request id, OpenTelemetry, health endpoints, request ids and the project's error shapes.
/// </summary>
public static class ServiceDefaults
{
    /// <summary>Health checks with this tag decide <c>/readyz</c>.</summary>
    public const string ReadyTag = "ready";

    public static WebApplicationBuilder AddServiceDefaults(this WebApplicationBuilder builder, ServiceDescription service, string[] args)
    {
        ConfigurationSetup.AddPlatformSources(builder.Configuration, args);
        builder.Services.AddSingleton(service);

        ConfigureListening(builder, service);
        ConfigureLogging(builder);
        ConfigureTelemetry(builder, service);
        builder.Services.AddHealthChecks();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = null);
        return builder;
    }

    /// <summary>
    /// The shared middleware (request id, request log, errors, then whatever libraries contributed,
    /// such as token validation) and the default endpoints: <c>/healthz</c>, <c>/readyz</c>,
    /// <c>/metrics</c>.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.UseMiddleware<RequestIdMiddleware>();
        app.UseMiddleware<RequestLogMiddleware>();
        app.UseMiddleware<ErrorMiddleware>();
        app.UseRouting();
        foreach (var contributor in app.Services.GetServices<IMiddlewareContributor>())
            contributor.Configure(app);

        // Liveness says only that the process answers; readiness checks what it depends on.
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/readyz", new HealthCheckOptions
        {
            Predicate = c => c.Tags.Contains(ReadyTag),
            ResponseWriter = WriteHealthAsync,
        }).AllowAnonymous();
        app.MapPrometheusScrapingEndpoint("/metrics").AllowAnonymous();
        return app;
    }

    private static void ConfigureListening(WebApplicationBuilder builder, ServiceDescription service)
    {
        // --urls / ASPNETCORE_URLS win; otherwise api:listen; otherwise loopback on the default port.
        if (!string.IsNullOrEmpty(builder.Configuration["urls"])) return;
        var listen = builder.Configuration["api:listen"] ?? $"http://127.0.0.1:{service.DefaultPort}";
        builder.WebHost.UseUrls(listen.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    private static void ConfigureLogging(WebApplicationBuilder builder)
    {
        builder.Logging.ClearProviders();
        // Every line logged under a span names its trace and span in its scopes, so one request's
        // lines are found across the fleet by its trace id as well as by its request ids.
        builder.Logging.Configure(o => o.ActivityTrackingOptions =
            ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);
        if (string.Equals(builder.Configuration["logging:format"], "text", StringComparison.OrdinalIgnoreCase))
        {
            builder.Logging.AddSimpleConsole(o => { o.IncludeScopes = true; o.SingleLine = true; o.UseUtcTimestamp = true; o.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff "; });
        }
        else
        {
            builder.Logging.AddJsonConsole(o => { o.IncludeScopes = true; o.UseUtcTimestamp = true; o.TimestampFormat = "O"; });
        }
        if (builder.Configuration["logging:debug"] is "true" or "True")
            builder.Logging.SetMinimumLevel(LogLevel.Debug);
        // Per-request lines from the framework are noise next to our own request log.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.Warning);
        builder.Logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);
    }

    private static void ConfigureTelemetry(WebApplicationBuilder builder, ServiceDescription service)
    {
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(service.Name, serviceInstanceId: $"{Environment.MachineName}:{Environment.ProcessId}"))
            .WithTracing(t => t
                .AddAspNetCoreInstrumentation(o => o.Filter = http => !IsProbe(http.Request.Path))
                .AddHttpClientInstrumentation()
                .AddSource("MassTransit")
                // The project's own spans (Platform.Messaging's outbox dispatch and the like).
                .AddSource("Platform.*")
                .AddSource("MySqlConnector"))
            .WithMetrics(m => m
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddMeter("MassTransit")
                .AddMeter("MySqlConnector")
                .AddPrometheusExporter());

        var otlp = builder.Configuration["telemetry:otlp_endpoint"];
        if (!string.IsNullOrEmpty(otlp))
        {
            telemetry.UseOtlpExporter(
                string.Equals(builder.Configuration["telemetry:otlp_protocol"], "http", StringComparison.OrdinalIgnoreCase)
                    ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc,
                new Uri(otlp));
        }
    }

    internal static bool IsProbe(PathString path) =>
        path.StartsWithSegments("/healthz") || path.StartsWithSegments("/readyz") || path.StartsWithSegments("/metrics");

    private static Task WriteHealthAsync(HttpContext http, HealthReport report)
    {
        http.Response.ContentType = "application/json";
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description ?? e.Value.Exception?.Message }),
        };
        return http.Response.WriteAsync(System.Text.Json.JsonSerializer.Serialize(body));
    }
}

/// <summary>A library's middleware, placed after routing by <see cref="ServiceDefaults.MapDefaultEndpoints"/>.</summary>
public interface IMiddlewareContributor
{
    void Configure(IApplicationBuilder app);
}
