namespace Image.Store;

/// <summary>
/// glance_store's filesystem driver: one file per image under <c>glance_store:filesystem_store_datadir</c>.
/// Data is written to <c>{id}.{random}.part</c>, flushed to disk, then renamed to <c>{id}</c>, so a
/// reader sees a whole image or none. Locations are <c>file://</c> URLs.
/// </summary>
public sealed class FilesystemStore : IImageDataStore
{
    public const string DataDirKey = "glance_store:filesystem_store_datadir";
    private const string PartialSuffix = ".part";

    private readonly string directory;

    public FilesystemStore(IConfiguration configuration)
    {
        directory = Path.GetFullPath(configuration[DataDirKey] is { Length: > 0 } dir ? dir : "/var/lib/platform/images");
        Directory.CreateDirectory(directory);
    }

    public Task<IImageDataWriter> BeginAsync(string imageId, CancellationToken cancellationToken)
    {
        var final = PathOf(imageId);
        var partial = $"{final}.{Guid.NewGuid():N}{PartialSuffix}";
        // Unbuffered: the uploader hands over chunks of megabytes.
        var stream = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0, FileOptions.Asynchronous);
        return Task.FromResult<IImageDataWriter>(new Writer(stream, partial, final));
    }

    public Stream OpenRead(string location) =>
        new FileStream(FromLocation(location), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 0, FileOptions.Asynchronous | FileOptions.SequentialScan);

    public Task DeleteAsync(string location)
    {
        File.Delete(FromLocation(location));
        return Task.CompletedTask;
    }

    public Task<int> RemoveAbandonedAsync(TimeSpan idle)
    {
        var cutoff = DateTime.UtcNow - idle;
        var removed = 0;
        foreach (var file in new DirectoryInfo(directory).EnumerateFiles($"*{PartialSuffix}"))
        {
            if (file.LastWriteTimeUtc >= cutoff) continue;
            try
            {
                file.Delete();
                removed++;
            }
            catch (IOException) { }
        }
        return Task.FromResult(removed);
    }

    private string PathOf(string imageId)
    {
        // Image ids are UUIDs; anything else never reaches the disk.
        if (!Guid.TryParseExact(imageId, "D", out _)) throw new ArgumentException($"not an image id: {imageId}", nameof(imageId));
        return Path.Combine(directory, imageId);
    }

    private string FromLocation(string location)
    {
        if (!location.StartsWith("file://", StringComparison.Ordinal)) throw new ArgumentException($"not a file location: {location}", nameof(location));
        var path = Path.GetFullPath(Uri.UnescapeDataString(location["file://".Length..]));
        if (!path.StartsWith(directory + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new ArgumentException($"location {location} is outside the store", nameof(location));
        return path;
    }

    private sealed class Writer(FileStream stream, string partial, string final) : IImageDataWriter
    {
        private bool committed;

        public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => stream.WriteAsync(data, cancellationToken);

        public async Task<string> CommitAsync(CancellationToken cancellationToken)
        {
            await stream.FlushAsync(cancellationToken);
            stream.Flush(flushToDisk: true);
            await stream.DisposeAsync();
            File.Move(partial, final, overwrite: true);
            committed = true;
            return "file://" + final;
        }

        public async ValueTask DisposeAsync()
        {
            await stream.DisposeAsync();
            if (!committed) File.Delete(partial);
        }
    }
}
