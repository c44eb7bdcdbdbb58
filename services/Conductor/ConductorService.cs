using Platform.Auth;
using Platform.Catalog;
using Platform.Data;
using Platform.Hosting;
using Platform.Messaging;
using Platform.Messaging.Outbox;

namespace Conductor;

/// <summary>The wiring of the conductor (nova-conductor) deployable: its database, the bus, token validation and the catalog.</summary>
public static class ConductorService
{
    public static readonly ServiceDescription Description = new("conductor", 8790, ApiFlavor.None);

    public static WebApplicationBuilder AddConductor(this WebApplicationBuilder builder)
    {
        builder.AddDatabase(typeof(ConductorService).Assembly);
        builder.AddOutbox();
        builder.AddMessaging();
        builder.AddTokenAuth();
        builder.AddServiceCatalog();
        return builder;
    }
}
