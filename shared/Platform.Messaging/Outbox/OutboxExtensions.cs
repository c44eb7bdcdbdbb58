using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Data;

namespace Platform.Messaging.Outbox;

public static class OutboxExtensions
{
    /// <summary>
    /// The transactional outbox over the service's own database: its table joins the service's
    /// migrations (component <c>outbox</c>) and a dispatcher runs in the background.
    /// </summary>
    public static IHostApplicationBuilder AddOutbox(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton(new MigrationSource("outbox", typeof(OutboxExtensions).Assembly));
        builder.Services.AddSingleton<OutboxSignal>();
        builder.Services.AddSingleton<IOutbox, Outbox>();
        builder.Services.Configure<OutboxOptions>(o =>
        {
            if (builder.Configuration["messaging:outbox_dispatch"] is "false" or "False")
                o.DispatchEnabled = false;
            if (int.TryParse(builder.Configuration["messaging:outbox_poll_interval_ms"], out var ms))
                o.PollInterval = TimeSpan.FromMilliseconds(ms);
        });
        builder.Services.AddHostedService<OutboxDispatcher>();
        return builder;
    }
}
