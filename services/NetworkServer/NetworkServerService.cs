using Platform.Auth;
using Platform.Catalog;
using Platform.Data;
using Platform.Hosting;
using Platform.Messaging;
using Platform.Messaging.Outbox;

namespace NetworkServer;

/// <summary>The wiring of the network server (neutron-server) deployable: its database, the bus, token validation and the catalog.</summary>
public static class NetworkServerService
{
    public static readonly ServiceDescription Description = new("network-server", 9696, ApiFlavor.Neutron);

    public static WebApplicationBuilder AddNetworkServer(this WebApplicationBuilder builder)
    {
        builder.AddDatabase(typeof(NetworkServerService).Assembly);
        builder.AddOutbox();
        builder.AddMessaging();
        builder.AddTokenAuth();
        builder.AddServiceCatalog();
        return builder;
    }
}
