using Platform.Hosting;
using Platform.Stack;

namespace Image;

/// <summary>The image service (glance-api): what it adds to the standard service stack.</summary>
public static class ImageService
{
    public static readonly ServiceDescription Description = new("image", 9292, ApiFlavor.Glance);

    public static WebApplicationBuilder AddImage(this WebApplicationBuilder builder) =>
        builder.AddServiceStack(typeof(ImageService).Assembly);
}
