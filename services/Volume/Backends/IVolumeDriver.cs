using Volume.Contracts;

namespace Volume.Backends;

/// <summary>What a backend measured of its storage, in GiB, as cinder's drivers report it.</summary>
public sealed record PoolCapacity(double TotalGb, double FreeGb);

/// <summary>
/// A volume backend's storage (cinder's volume driver): makes, copies, grows and removes the
/// data of volumes and snapshots, and says how a host reaches a volume. Volumes are named
/// <c>volume-&lt;id&gt;</c> and snapshots <c>snapshot-&lt;id&gt;</c>, as cinder names them.
/// Every operation may be repeated (a message delivered twice, a worker restarted mid-way).
/// </summary>
public interface IVolumeDriver
{
    /// <summary>cinder's <c>storage_protocol</c> capability, and the connection type (<c>file</c>).</summary>
    string StorageProtocol { get; }

    Task<PoolCapacity> GetCapacityAsync(CancellationToken cancellationToken);

    /// <summary>An empty volume of <paramref name="sizeGb"/> GiB.</summary>
    Task CreateAsync(string volumeId, int sizeGb, CancellationToken cancellationToken);

    /// <summary>A volume whose first bytes are <paramref name="data"/> (an image), grown to <paramref name="sizeGb"/>.</summary>
    Task CreateFromDataAsync(string volumeId, Stream data, int sizeGb, CancellationToken cancellationToken);

    Task CreateFromSnapshotAsync(string volumeId, string snapshotId, int sizeGb, CancellationToken cancellationToken);

    Task CloneAsync(string volumeId, string sourceVolumeId, int sizeGb, CancellationToken cancellationToken);

    Task ExtendAsync(string volumeId, int sizeGb, CancellationToken cancellationToken);

    /// <summary>Removes the volume's data; nothing to remove is not an error.</summary>
    Task DeleteAsync(string volumeId, CancellationToken cancellationToken);

    Task CreateSnapshotAsync(string snapshotId, string volumeId, CancellationToken cancellationToken);

    Task DeleteSnapshotAsync(string snapshotId, CancellationToken cancellationToken);

    /// <summary>How the host of <paramref name="connector"/> reaches the volume.</summary>
    VolumeConnection InitializeConnection(string volumeId, IReadOnlyDictionary<string, string> connector);

    /// <summary>The host no longer uses the volume.</summary>
    void TerminateConnection(string volumeId, IReadOnlyDictionary<string, string> connector);
}
