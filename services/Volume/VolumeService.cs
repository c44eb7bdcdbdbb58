using Platform.Hosting;
using Platform.Stack;

namespace Volume;

/// <summary>The volume service (cinder-api, cinder-scheduler, cinder-volume): what it adds to the standard service stack.</summary>
public static class VolumeService
{
    public static readonly ServiceDescription Description = new("volume", 8776, ApiFlavor.Cinder);

    public static WebApplicationBuilder AddVolume(this WebApplicationBuilder builder) =>
        builder.AddServiceStack(typeof(VolumeService).Assembly);
}
