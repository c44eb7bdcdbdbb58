using Platform.Hosting;
using Platform.Stack;

namespace NetworkServer;

/// <summary>The network server (neutron-server): what it adds to the standard service stack.</summary>
public static class NetworkServerService
{
    public static readonly ServiceDescription Description = new("network-server", 9696, ApiFlavor.Neutron);

    public static WebApplicationBuilder AddNetworkServer(this WebApplicationBuilder builder)
    {
        builder.AddServiceStack(typeof(NetworkServerService).Assembly);
        builder.Services.AddSingleton(sp => Ml2.TypeManager.FromConfiguration(sp.GetRequiredService<IConfiguration>()));
        return builder;
    }
}
