using Platform.Auth;
using Platform.Catalog;
using Platform.Data;
using Platform.Hosting;
using Platform.Messaging;
using Platform.Messaging.Outbox;

namespace ComputeApi;

/// <summary>The wiring of the compute API (nova-api) deployable: its database, the bus, token validation and the catalog.</summary>
public static class ComputeApiService
{
    public static readonly ServiceDescription Description = new("compute-api", 8774, ApiFlavor.Nova);

    public static WebApplicationBuilder AddComputeApi(this WebApplicationBuilder builder)
    {
        builder.AddDatabase(typeof(ComputeApiService).Assembly);
        builder.AddOutbox();
        builder.AddMessaging();
        builder.AddTokenAuth();
        builder.AddServiceCatalog();
        return builder;
    }
}
