using Platform.Hosting;
using Platform.Stack;

namespace Conductor;

/// <summary>The conductor (nova-conductor): what it adds to the standard service stack.</summary>
public static class ConductorService
{
    public static readonly ServiceDescription Description = new("conductor", 8790, ApiFlavor.None);

    public static WebApplicationBuilder AddConductor(this WebApplicationBuilder builder) =>
        builder.AddServiceStack(typeof(ConductorService).Assembly);
}
