namespace Image.Store;

/// <summary>
/// Where image bytes live (glance_store's driver). Chosen by <c>glance_store:default_store</c>;
/// <c>file</c> is the one there is today.
/// </summary>
public interface IImageDataStore
{
    /// <summary>Starts writing an image's data; nothing is visible at its location until <see cref="IImageDataWriter.CommitAsync"/>.</summary>
    Task<IImageDataWriter> BeginAsync(string imageId, CancellationToken cancellationToken);

    /// <summary>The data at <paramref name="location"/>, seekable so ranges can be served.</summary>
    Stream OpenRead(string location);

    Task DeleteAsync(string location);

    /// <summary>Removes partial data no writer has touched for <paramref name="idle"/> (a writer that died with its process).</summary>
    Task<int> RemoveAbandonedAsync(TimeSpan idle);
}

/// <summary>One image's data on its way in.</summary>
public interface IImageDataWriter : IAsyncDisposable
{
    ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Makes the data durable and puts it at its location, which it returns.</summary>
    Task<string> CommitAsync(CancellationToken cancellationToken);
}
