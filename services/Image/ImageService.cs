using Platform.Auth;
using Platform.Catalog;
using Platform.Data;
using Platform.Hosting;
using Platform.Messaging;
using Platform.Messaging.Outbox;

namespace Image;

/// <summary>The wiring of the image (glance-api) deployable: its database, the bus, token validation and the catalog.</summary>
public static class ImageService
{
    public static readonly ServiceDescription Description = new("image", 9292, ApiFlavor.Glance);

    public static WebApplicationBuilder AddImage(this WebApplicationBuilder builder)
    {
        builder.AddDatabase(typeof(ImageService).Assembly);
        builder.AddOutbox();
        builder.AddMessaging();
        builder.AddTokenAuth();
        builder.AddServiceCatalog();
        return builder;
    }
}
