using System.Buffers;
using Volume.Contracts;

namespace Volume.Backends;

/// <summary>
/// The <c>file</c> backend: each volume a raw sparse file under one directory that compute hosts
/// reach at the same path (a local disk for one machine, a shared mount for several). Copies
/// keep holes: a run of zeros is skipped rather than written, so a 1 GiB volume made from a
/// 20 MiB image takes 20 MiB. A file is written under a temporary name and renamed when whole,
/// so a worker stopped mid-copy leaves no half volume behind the volume's name.
/// </summary>
public sealed class FileDriver : IVolumeDriver
{
    private const int ChunkSize = 1 << 20;
    private const long GiB = 1L << 30;

    public FileDriver(string directory)
    {
        Directory = Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    public string StorageProtocol => "file";

    public string VolumePath(string volumeId) => Path.Combine(Directory, $"volume-{volumeId}");

    public string SnapshotPath(string snapshotId) => Path.Combine(Directory, $"snapshot-{snapshotId}");

    public Task<PoolCapacity> GetCapacityAsync(CancellationToken cancellationToken)
    {
        var drive = new DriveInfo(Directory);
        return Task.FromResult(new PoolCapacity(Math.Round(drive.TotalSize / (double)GiB, 2), Math.Round(drive.AvailableFreeSpace / (double)GiB, 2)));
    }

    public Task CreateAsync(string volumeId, int sizeGb, CancellationToken cancellationToken) =>
        WriteAsync(VolumePath(volumeId), sizeGb, _ => Task.CompletedTask, cancellationToken);

    public Task CreateFromDataAsync(string volumeId, Stream data, int sizeGb, CancellationToken cancellationToken) =>
        WriteAsync(VolumePath(volumeId), sizeGb, target => CopySparseAsync(data, target, cancellationToken), cancellationToken);

    public Task CreateFromSnapshotAsync(string volumeId, string snapshotId, int sizeGb, CancellationToken cancellationToken) =>
        CopyFileAsync(SnapshotPath(snapshotId), VolumePath(volumeId), sizeGb, cancellationToken);

    public Task CloneAsync(string volumeId, string sourceVolumeId, int sizeGb, CancellationToken cancellationToken) =>
        CopyFileAsync(VolumePath(sourceVolumeId), VolumePath(volumeId), sizeGb, cancellationToken);

    public Task ExtendAsync(string volumeId, int sizeGb, CancellationToken cancellationToken)
    {
        using var handle = File.OpenHandle(VolumePath(volumeId), FileMode.Open, FileAccess.ReadWrite);
        if (RandomAccess.GetLength(handle) < sizeGb * GiB) RandomAccess.SetLength(handle, sizeGb * GiB);
        return Task.CompletedTask;
    }

    public Task DeleteAsync(string volumeId, CancellationToken cancellationToken)
    {
        File.Delete(VolumePath(volumeId));
        return Task.CompletedTask;
    }

    public Task CreateSnapshotAsync(string snapshotId, string volumeId, CancellationToken cancellationToken)
    {
        var source = VolumePath(volumeId);
        var size = new FileInfo(source).Length;
        return WriteAsync(SnapshotPath(snapshotId), size, async target =>
        {
            await using var input = OpenRead(source);
            await CopySparseAsync(input, target, cancellationToken);
        }, cancellationToken);
    }

    public Task DeleteSnapshotAsync(string snapshotId, CancellationToken cancellationToken)
    {
        File.Delete(SnapshotPath(snapshotId));
        return Task.CompletedTask;
    }

    public VolumeConnection InitializeConnection(string volumeId, IReadOnlyDictionary<string, string> connector)
    {
        var path = VolumePath(volumeId);
        if (!File.Exists(path)) throw new FileNotFoundException($"volume {volumeId} has no data on this backend", path);
        return new VolumeConnection("file", new Dictionary<string, string> { ["path"] = path, ["format"] = "raw" });
    }

    public void TerminateConnection(string volumeId, IReadOnlyDictionary<string, string> connector)
    {
    }

    private Task CopyFileAsync(string source, string target, int sizeGb, CancellationToken cancellationToken) =>
        WriteAsync(target, sizeGb, async output =>
        {
            await using var input = OpenRead(source);
            await CopySparseAsync(input, output, cancellationToken);
        }, cancellationToken);

    private Task WriteAsync(string path, int sizeGb, Func<FileStream, Task> fill, CancellationToken cancellationToken) =>
        WriteAsync(path, sizeGb * GiB, fill, cancellationToken);

    /// <summary>Writes <paramref name="path"/> under a temporary name, sized to at least <paramref name="length"/> bytes, then renames it.</summary>
    private static async Task WriteAsync(string path, long length, Func<FileStream, Task> fill, CancellationToken cancellationToken)
    {
        var partial = $"{path}.{Guid.NewGuid():N}.part";
        try
        {
            await using (var output = new FileStream(partial, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, bufferSize: 0, FileOptions.Asynchronous))
            {
                await fill(output);
                if (output.Length < length) output.SetLength(length);
                output.Flush(flushToDisk: true);
            }
            File.Move(partial, path, overwrite: true);
        }
        catch
        {
            File.Delete(partial);
            throw;
        }
    }

    private static FileStream OpenRead(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0, FileOptions.Asynchronous | FileOptions.SequentialScan);

    /// <summary>Copies <paramref name="input"/> to the start of <paramref name="output"/>, seeking over chunks that are all zeros.</summary>
    private static async Task CopySparseAsync(Stream input, FileStream output, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            long position = 0;
            while (true)
            {
                var filled = 0;
                while (filled < ChunkSize)
                {
                    var read = await input.ReadAsync(buffer.AsMemory(filled, ChunkSize - filled), cancellationToken);
                    if (read == 0) break;
                    filled += read;
                }
                if (filled == 0) break;
                if (buffer.AsSpan(0, filled).ContainsAnyExcept((byte)0))
                {
                    output.Position = position;
                    await output.WriteAsync(buffer.AsMemory(0, filled), cancellationToken);
                }
                position += filled;
                if (filled < ChunkSize) break;
            }
            if (output.Length < position) output.SetLength(position);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
