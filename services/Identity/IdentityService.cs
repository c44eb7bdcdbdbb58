using Platform.Auth;

using Platform.Data;
using Platform.Hosting;
using Platform.Messaging;
using Platform.Messaging.Outbox;

namespace Identity;

/// <summary>The wiring of the identity (keystone) deployable: its database, the bus, token validation.</summary>
public static class IdentityService
{
    public static readonly ServiceDescription Description = new("identity", 5000, ApiFlavor.Keystone);

    public static WebApplicationBuilder AddIdentity(this WebApplicationBuilder builder)
    {
        builder.AddDatabase(typeof(IdentityService).Assembly);
        builder.AddOutbox();
        builder.AddMessaging();
        builder.AddTokenAuth();

        return builder;
    }
}
