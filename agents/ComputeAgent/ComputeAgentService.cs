using Platform.Catalog;
using Platform.HostCommands;
using Platform.Hosting;
using Platform.Messaging;

namespace ComputeAgent;

/// <summary>The wiring of the compute agent (nova-compute): the bus and the host command layer, and the catalog for the REST peers it reads from. Agents own no database.</summary>
public static class ComputeAgentService
{
    public static readonly ServiceDescription Description = new("compute-agent", 8791, ApiFlavor.None);

    public static WebApplicationBuilder AddComputeAgent(this WebApplicationBuilder builder)
    {
        builder.AddMessaging();
        builder.Services.AddHostCommands();
        builder.AddServiceCatalog();
        return builder;
    }
}
