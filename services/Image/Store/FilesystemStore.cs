using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Image.Store;

/// <summary>
/// glance_store's filesystem driver: one file per image under <c>glance_store:filesystem_store_datadir</c>.
/// Data is written to <c>{id}.{random}.part</c>, flushed to disk, then renamed to <c>{id}</c>, so a
/// reader sees a whole image or none. Locations are <c>file://</c> URLs.
/// </summary>
/// <remarks>
/// On Linux, aligned chunks are written with O_DIRECT: the disk takes them from the uploader's
/// buffer, with no copy into the page cache (which costs as much CPU as a hash here). The
/// unaligned tail, and every write on a filesystem without direct I/O, goes through the page
/// cache; the fsync at commit makes both durable.
/// </remarks>
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
        var buffered = File.OpenHandle(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        return Task.FromResult<IImageDataWriter>(new Writer(buffered, NativeMethods.OpenDirect(partial), partial, final));
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

    private sealed class Writer(SafeFileHandle buffered, SafeFileHandle? direct, string partial, string final) : IImageDataWriter
    {
        private bool committed;
        private long written;

        public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            // Direct I/O wants the offset, the address and the length aligned; the tail is not.
            var handle = direct is not null && written % AlignedBuffer.Alignment == 0 && AlignedBuffer.IsAligned(data.Span) ? direct : buffered;
            var offset = written;
            written += data.Length;
            return RandomAccess.WriteAsync(handle, data, offset, cancellationToken);
        }

        public async Task<string> CommitAsync(CancellationToken cancellationToken)
        {
            // fsync blocks for as long as the disk takes: never on a socket thread.
            await Task.Run(() => RandomAccess.FlushToDisk(buffered), cancellationToken);
            direct?.Dispose();
            buffered.Dispose();
            File.Move(partial, final, overwrite: true);
            committed = true;
            return "file://" + final;
        }

        public ValueTask DisposeAsync()
        {
            direct?.Dispose();
            buffered.Dispose();
            if (!committed) File.Delete(partial);
            return ValueTask.CompletedTask;
        }
    }
}

internal static partial class NativeMethods
{
    // Linux x86-64 and arm64 open(2) flags.
    private const int WriteOnly = 0x1, DirectIo = 0x4000, CloseOnExec = 0x80000;

    /// <summary>A second, O_DIRECT handle on a file just created, or null where the system or the filesystem has no direct I/O.</summary>
    public static SafeFileHandle? OpenDirect(string path)
    {
        if (!OperatingSystem.IsLinux()) return null;
        var fd = open(path, WriteOnly | DirectIo | CloseOnExec, 0);
        return fd < 0 ? null : new SafeFileHandle(fd, ownsHandle: true);
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags, int mode);
}
