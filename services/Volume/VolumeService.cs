using Platform.Auth;
using Platform.Catalog;
using Platform.Data;
using Platform.Hosting;
using Platform.Messaging;
using Platform.Messaging.Outbox;

namespace Volume;

/// <summary>The wiring of the volume (cinder-api, cinder-scheduler, cinder-volume) deployable: its database, the bus, token validation and the catalog.</summary>
public static class VolumeService
{
    public static readonly ServiceDescription Description = new("volume", 8776, ApiFlavor.Cinder);

    public static WebApplicationBuilder AddVolume(this WebApplicationBuilder builder)
    {
        builder.AddDatabase(typeof(VolumeService).Assembly);
        builder.AddOutbox();
        builder.AddMessaging();
        builder.AddTokenAuth();
        builder.AddServiceCatalog();
        return builder;
    }
}
