using Platform.Auth;
using Platform.Catalog;
using Platform.Data;
using Platform.Hosting;
using Platform.Messaging;
using Platform.Messaging.Outbox;

namespace Scheduler;

/// <summary>The wiring of the scheduler and placement (nova-scheduler, placement) deployable: its database, the bus, token validation and the catalog.</summary>
public static class SchedulerService
{
    public static readonly ServiceDescription Description = new("scheduler", 8778, ApiFlavor.Placement);

    public static WebApplicationBuilder AddScheduler(this WebApplicationBuilder builder)
    {
        builder.AddDatabase(typeof(SchedulerService).Assembly);
        builder.AddOutbox();
        builder.AddMessaging();
        builder.AddTokenAuth();
        builder.AddServiceCatalog();
        return builder;
    }
}
