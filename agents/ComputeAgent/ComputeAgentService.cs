using Platform.Hosting;
using Platform.Stack;

namespace ComputeAgent;

/// <summary>The compute agent (nova-compute): what it adds to the standard agent stack.</summary>
public static class ComputeAgentService
{
    public static readonly ServiceDescription Description = new("compute-agent", 8791, ApiFlavor.None);

    public static WebApplicationBuilder AddComputeAgent(this WebApplicationBuilder builder) =>
        builder.AddAgentStack(catalog: true);
}
