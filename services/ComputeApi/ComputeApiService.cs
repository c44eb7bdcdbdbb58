using Platform.Hosting;
using Platform.Stack;

namespace ComputeApi;

/// <summary>The compute API (nova-api): what it adds to the standard service stack.</summary>
public static class ComputeApiService
{
    public static readonly ServiceDescription Description = new("compute-api", 8774, ApiFlavor.Nova);

    public static WebApplicationBuilder AddComputeApi(this WebApplicationBuilder builder) =>
        builder.AddServiceStack(typeof(ComputeApiService).Assembly);
}
