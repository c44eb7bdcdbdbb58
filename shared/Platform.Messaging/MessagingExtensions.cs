using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Platform.Messaging;

public static class MessagingExtensions
{
    public const string HostKey = "host";

    /// <summary>
    /// The bus (MassTransit over RabbitMQ from <c>[messaging] transport_url</c>, or in memory),
    /// the <see cref="IRpcClient"/> verbs, caller context in headers, retries and error queues,
    /// and this deployable's endpoints.
    /// </summary>
    public static IHostApplicationBuilder AddMessaging(this IHostApplicationBuilder builder, Action<MessagingBuilder>? endpoints = null)
    {
        var configuration = builder.Configuration;
        var transport = TransportUrl.Parse(configuration[TransportUrl.ConfigKey] ?? "rabbit://guest:guest@127.0.0.1:5672/");
        var messaging = new MessagingBuilder(configuration[HostKey] ?? Environment.MachineName);
        endpoints?.Invoke(messaging);

        builder.Services.AddSingleton(messaging);
        builder.Services.Configure<MessagingOptions>(o =>
        {
            if (double.TryParse(configuration["messaging:rpc_response_timeout"], out var seconds))
                o.CallTimeout = TimeSpan.FromSeconds(seconds);
        });
        builder.Services.AddSingleton<IRpcClient, RpcClient>();
        builder.Services.Configure<MassTransitHostOptions>(o =>
        {
            // A service starts and reports not-ready while the broker is away; tests wait.
            o.WaitUntilStarted = configuration["messaging:wait_until_started"] is "true" or "True";
            o.StartTimeout = TimeSpan.FromSeconds(60);
            o.StopTimeout = TimeSpan.FromSeconds(15);
        });

        builder.Services.AddMassTransit(x =>
        {
            foreach (var consumer in messaging.Endpoints.SelectMany(e => e.Consumers).Distinct())
                x.AddConsumer(consumer);

            if (transport.IsInMemory)
            {
                x.UsingInMemory((context, cfg) => ConfigureBus(context, cfg, messaging));
            }
            else
            {
                x.UsingRabbitMq((context, cfg) =>
                {
                    cfg.Host(transport.Host, transport.Port, transport.VirtualHost, h =>
                    {
                        h.Username(transport.UserName);
                        h.Password(transport.Password);
                        h.PublisherConfirmation = true;
                        h.Heartbeat(TimeSpan.FromSeconds(30));
                    });
                    ConfigureBus(context, cfg, messaging);
                });
            }
        });
        return builder;
    }

    private static void ConfigureBus(IBusRegistrationContext context, IBusFactoryConfigurator cfg, MessagingBuilder messaging)
    {
        cfg.ConfigureSend(s => s.UseExecute(ContextStamping.Stamp));
        cfg.ConfigurePublish(p => p.UseExecute(ContextStamping.Stamp));
        cfg.UseConsumeFilter(typeof(ContextConsumeFilter<>), context);

        foreach (var endpoint in messaging.Endpoints)
        {
            cfg.ReceiveEndpoint(endpoint.Name, e =>
            {
                // A work queue receives only what is sent to it by name; only a fanout
                // subscription binds to the exchanges of the message types it consumes.
                e.ConfigureConsumeTopology = endpoint.Kind == EndpointKind.Fanout;
                if (endpoint.Temporary && e is IRabbitMqReceiveEndpointConfigurator rabbit)
                {
                    rabbit.AutoDelete = true;
                    rabbit.Durable = false;
                }
                if (endpoint.ConcurrentMessageLimit is { } limit)
                    e.ConcurrentMessageLimit = limit;
                // Transient failures are retried with backoff; what still fails goes to
                // <queue>_error, where an operator can see and move it.
                e.UseMessageRetry(r => r.Exponential(3, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(400)));
                foreach (var consumer in endpoint.Consumers)
                    e.ConfigureConsumer(context, consumer);
            });
        }
    }
}
