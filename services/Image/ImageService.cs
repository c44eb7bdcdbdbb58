using Image.Common;
using Image.Images;
using Image.Members;
using Image.Schemas;
using Image.Store;
using Image.Versions;
using Platform.Auth.Policy;
using Platform.Hosting;
using Platform.Stack;

namespace Image;

/// <summary>The image service (glance-api): images, their data in the store, members and schemas.</summary>
public static class ImageService
{
    public static readonly ServiceDescription Description = new("image", 9292, ApiFlavor.Glance);

    public static WebApplicationBuilder AddImage(this WebApplicationBuilder builder)
    {
        builder.AddServiceStack(typeof(ImageService).Assembly);
        // Continuations run on the socket's own thread instead of hopping to the thread pool
        // for every few kilobytes of an upload: ~15% more upload throughput on 2 cores. Safe
        // here because no handler blocks: hashing and disk writes run on pool threads.
        builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = true);
        // Kestrel keeps receiving up to 8 MiB (default 1 MiB) while a chunk is hashed, so the
        // socket is not idle in the meantime; that is also the most one upload holds in it.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBufferSize = 8 * 1024 * 1024);
        builder.AddPolicy(ImagePolicy.Defaults);

        var services = builder.Services;
        services.AddSingleton(sp => ImageFormats.FromConfiguration(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton(sp => ImageQuota.FromConfiguration(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton<ImageAuthz>();
        services.AddSingleton<ImageStore>();
        services.AddSingleton<ImageAccess>();
        services.AddSingleton<ImageChanges>();
        services.AddSingleton<IImageDataStore>(sp => StoreFor(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton<SavingJanitor>();
        services.AddHostedService(sp => sp.GetRequiredService<SavingJanitor>());
        return builder;
    }

    /// <summary>The store driver <c>glance_store:default_store</c> names.</summary>
    private static IImageDataStore StoreFor(IConfiguration configuration) => configuration["glance_store:default_store"] switch
    {
        null or "" or "file" => new FilesystemStore(configuration),
        var other => throw new InvalidOperationException($"glance_store:default_store '{other}' is not a store this service has (file)"),
    };

    public static WebApplication MapImage(this WebApplication app)
    {
        app.MapVersions();
        var v2 = app.MapGroup("/v2");
        v2.MapImages();
        v2.MapImageData();
        v2.MapMembers();
        v2.MapSchemas();
        return app;
    }
}
