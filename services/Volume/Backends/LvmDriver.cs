using System.Buffers;
using System.Globalization;
using Platform.HostCommands;
using Volume.Contracts;

namespace Volume.Backends;

/// <summary>
/// The <c>lvm</c> backend (cinder's LVMVolumeDriver, thick volumes): each volume a logical volume
/// <c>volume-&lt;id&gt;</c> in the configured volume group, each snapshot an LVM snapshot of it.
/// A host reaches a volume at <c>/dev/&lt;group&gt;/volume-&lt;id&gt;</c> (connection type
/// <c>local</c>), so this backend serves the compute host it runs on. Volumes whose data is
/// copied (from an image, a snapshot, a volume) are written under a temporary name and renamed
/// when whole, as the file backend does. Needs the kernel's device-mapper.
/// </summary>
public sealed class LvmDriver(string volumeGroup, IHostCommandRunner commands, string devicesRoot = "/dev") : IVolumeDriver
{
    private const int ChunkSize = 4 << 20;
    private const long GiB = 1L << 30;

    public string VolumeGroup { get; } = volumeGroup;

    public string StorageProtocol => "local";

    public string DevicePath(string lvName) => Path.Combine(devicesRoot, VolumeGroup, lvName);

    private static string VolumeName(string volumeId) => $"volume-{volumeId}";

    private static string SnapshotName(string snapshotId) => $"snapshot-{snapshotId}";

    public async Task<PoolCapacity> GetCapacityAsync(CancellationToken cancellationToken)
    {
        var result = await commands.RunAsync(Lvm("vgs", "--noheadings", "--nosuffix", "--units", "g", "--separator", ":", "-o", "vg_size,vg_free", VolumeGroup), cancellationToken);
        var parts = result.StdOut.Trim().Split(':');
        if (parts.Length != 2
            || !double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var total)
            || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var free))
            throw new InvalidDataException($"vgs said '{result.StdOut.Trim()}' of volume group {VolumeGroup}");
        return new PoolCapacity(Math.Round(total, 2), Math.Round(free, 2));
    }

    public async Task CreateAsync(string volumeId, int sizeGb, CancellationToken cancellationToken)
    {
        if (!await ExistsAsync(VolumeName(volumeId), cancellationToken))
            await CreateLvAsync(VolumeName(volumeId), sizeGb, cancellationToken);
    }

    public Task CreateFromDataAsync(string volumeId, Stream data, int sizeGb, CancellationToken cancellationToken) =>
        WriteAsync(volumeId, sizeGb, data, cancellationToken);

    public async Task CreateFromSnapshotAsync(string volumeId, string snapshotId, int sizeGb, CancellationToken cancellationToken)
    {
        await using var source = OpenRead(DevicePath(SnapshotName(snapshotId)));
        await WriteAsync(volumeId, sizeGb, source, cancellationToken);
    }

    public async Task CloneAsync(string volumeId, string sourceVolumeId, int sizeGb, CancellationToken cancellationToken)
    {
        await using var source = OpenRead(DevicePath(VolumeName(sourceVolumeId)));
        await WriteAsync(volumeId, sizeGb, source, cancellationToken);
    }

    public async Task ExtendAsync(string volumeId, int sizeGb, CancellationToken cancellationToken)
    {
        var name = $"{VolumeGroup}/{VolumeName(volumeId)}";
        var current = await commands.RunAsync(Lvm("lvs", "--noheadings", "--nosuffix", "--units", "b", "-o", "lv_size", name), cancellationToken);
        // Already that size (a repeated message): lvextend would refuse "matches existing size".
        if (long.TryParse(current.StdOut.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var bytes) && bytes >= sizeGb * GiB) return;
        await commands.RunAsync(Lvm("lvextend", "-L", $"{sizeGb}g", name), cancellationToken);
    }

    public async Task DeleteAsync(string volumeId, CancellationToken cancellationToken)
    {
        if (await ExistsAsync(VolumeName(volumeId), cancellationToken))
            await commands.RunAsync(Lvm("lvremove", "-f", $"{VolumeGroup}/{VolumeName(volumeId)}"), cancellationToken);
    }

    public async Task CreateSnapshotAsync(string snapshotId, string volumeId, CancellationToken cancellationToken)
    {
        // Copy-on-write room for the whole origin, as cinder sizes its LVM snapshots.
        if (!await ExistsAsync(SnapshotName(snapshotId), cancellationToken))
            await commands.RunAsync(Lvm("lvcreate", "--snapshot", "-l", "100%ORIGIN", "-n", SnapshotName(snapshotId), $"{VolumeGroup}/{VolumeName(volumeId)}"), cancellationToken);
    }

    public async Task DeleteSnapshotAsync(string snapshotId, CancellationToken cancellationToken)
    {
        if (await ExistsAsync(SnapshotName(snapshotId), cancellationToken))
            await commands.RunAsync(Lvm("lvremove", "-f", $"{VolumeGroup}/{SnapshotName(snapshotId)}"), cancellationToken);
    }

    public VolumeConnection InitializeConnection(string volumeId, IReadOnlyDictionary<string, string> connector)
    {
        var path = DevicePath(VolumeName(volumeId));
        if (!File.Exists(path)) throw new FileNotFoundException($"volume {volumeId} has no logical volume in {VolumeGroup}", path);
        return new VolumeConnection("local", new Dictionary<string, string> { ["device_path"] = path });
    }

    public void TerminateConnection(string volumeId, IReadOnlyDictionary<string, string> connector)
    {
    }

    private Task CreateLvAsync(string lvName, int sizeGb, CancellationToken cancellationToken) =>
        commands.RunAsync(Lvm("lvcreate", "-y", "-n", lvName, "-L", $"{sizeGb}g", VolumeGroup), cancellationToken);

    private async Task<bool> ExistsAsync(string lvName, CancellationToken cancellationToken)
    {
        var result = await commands.RunAsync(new HostCommand("lvs", "--noheadings", "-o", "lv_name", $"{VolumeGroup}/{lvName}") { CheckExitCode = false }, cancellationToken);
        return result.ExitCode == 0 && result.StdOut.Trim() == lvName;
    }

    /// <summary>Makes <c>volume-&lt;id&gt;</c> from <paramref name="data"/>: a temporary volume written whole, then renamed.</summary>
    private async Task WriteAsync(string volumeId, int sizeGb, Stream data, CancellationToken cancellationToken)
    {
        var name = VolumeName(volumeId);
        if (await ExistsAsync(name, cancellationToken)) return;
        var partial = $"{name}-part";
        if (await ExistsAsync(partial, cancellationToken)) await commands.RunAsync(Lvm("lvremove", "-f", $"{VolumeGroup}/{partial}"), cancellationToken);
        await CreateLvAsync(partial, sizeGb, cancellationToken);
        try
        {
            await CopyAsync(data, DevicePath(partial), cancellationToken);
        }
        catch
        {
            await commands.RunAsync(new HostCommand("lvremove", "-f", $"{VolumeGroup}/{partial}") { CheckExitCode = false }, CancellationToken.None);
            throw;
        }
        await commands.RunAsync(Lvm("lvrename", VolumeGroup, partial, name), cancellationToken);
    }

    /// <summary>Writes every byte (a logical volume may hold an earlier volume's data: no hole is left to chance), then flushes.</summary>
    private static async Task CopyAsync(Stream input, string devicePath, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            await using var output = new FileStream(devicePath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0, FileOptions.Asynchronous);
            int read;
            while ((read = await input.ReadAsync(buffer.AsMemory(0, ChunkSize), cancellationToken)) > 0)
                await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            output.Flush(flushToDisk: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static FileStream OpenRead(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0, FileOptions.Asynchronous | FileOptions.SequentialScan);

    private static HostCommand Lvm(string program, params string[] arguments) => new(program, arguments) { Timeout = TimeSpan.FromMinutes(2) };
}
