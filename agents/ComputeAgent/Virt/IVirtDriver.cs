using Conductor.Contracts;
using Scheduler.Contracts;

namespace ComputeAgent.Virt;

/// <summary>One architecture/hypervisor/mode triple the node can run (nova's supported_instances).</summary>
public sealed record SupportedInstanceType(string Architecture, string HypervisorType, string VmMode);

/// <summary>What a node has to offer, as the resource tracker reports it to placement.</summary>
public sealed record HostResources
{
    public required int Vcpus { get; init; }
    public required long MemoryMb { get; init; }
    public required long LocalGb { get; init; }
    public required string HypervisorType { get; init; }
    public required long HypervisorVersion { get; init; }

    /// <summary>JSON, as nova keeps cpu_info.</summary>
    public required string CpuInfo { get; init; }

    public IReadOnlyList<SupportedInstanceType> SupportedInstances { get; init; } = [];

    /// <summary>Capability traits of the driver (COMPUTE_*).</summary>
    public IReadOnlyList<string> Traits { get; init; } = [];
}

/// <summary>A guest the hypervisor knows, with its power state (a <see cref="PowerStates"/> value).</summary>
public sealed record VirtInstance(string Uuid, int PowerState);

/// <summary>
/// A volume as the guest gets it: the device name and the connection info the volume service
/// answered for this host (<c>driver_volume_type</c> and its data, for <c>file</c> the path).
/// </summary>
public sealed record VolumeMount(string VolumeId, string DeviceName, string DriverVolumeType, IReadOnlyDictionary<string, string> Data);

/// <summary>The hypervisor has no such guest.</summary>
public sealed class VirtInstanceNotFoundException(string uuid) : Exception($"Instance {uuid} could not be found on the hypervisor.")
{
    public string Uuid { get; } = uuid;
}

/// <summary>
/// One compute node's hypervisor (nova's ComputeDriver): the compute manager decides what happens
/// to an instance, the driver only does it. Every method is idempotent where nova's are: destroying
/// a guest that is gone succeeds.
/// </summary>
public interface IVirtDriver
{
    /// <summary>The node this driver manages (the hypervisor_hostname).</summary>
    string NodeName { get; }

    /// <summary>Whether spawn and rebuild need the image's bytes (the fake driver boots from nothing).</summary>
    bool NeedsImageData { get; }

    /// <summary>Whether spawn waits for network-vif-plugged for every port before the guest runs.</summary>
    bool WaitsForVifPlugged { get; }

    HostResources GetHostResources();

    /// <summary>
    /// Creates and boots the guest with its volumes (the boot volume first, when it boots from one);
    /// <paramref name="imageData"/> is null when <see cref="NeedsImageData"/> is false or there is no image.
    /// </summary>
    Task SpawnAsync(InstanceInfo instance, ImageSpec image, Stream? imageData, IReadOnlyList<VifInfo> networkInfo, IReadOnlyList<VolumeMount> volumes,
        CancellationToken cancellationToken);

    /// <summary>Gives the guest a connected volume at <see cref="VolumeMount.DeviceName"/>; a volume it has already is no error.</summary>
    Task AttachVolumeAsync(InstanceInfo instance, VolumeMount volume, CancellationToken cancellationToken);

    /// <summary>Takes the volume from the guest; one it does not have (or a guest that is gone) is no error.</summary>
    Task DetachVolumeAsync(InstanceInfo instance, string volumeId, CancellationToken cancellationToken);

    Task DestroyAsync(string instanceUuid, CancellationToken cancellationToken);

    Task PowerOffAsync(InstanceInfo instance, CancellationToken cancellationToken);

    Task PowerOnAsync(InstanceInfo instance, CancellationToken cancellationToken);

    Task RebootAsync(InstanceInfo instance, bool hard, CancellationToken cancellationToken);

    Task PauseAsync(InstanceInfo instance, CancellationToken cancellationToken);

    Task UnpauseAsync(InstanceInfo instance, CancellationToken cancellationToken);

    Task SuspendAsync(InstanceInfo instance, CancellationToken cancellationToken);

    Task ResumeAsync(InstanceInfo instance, CancellationToken cancellationToken);

    /// <summary>A fresh root disk from <paramref name="image"/>, the guest booted again.</summary>
    Task RebuildAsync(InstanceInfo instance, ImageSpec image, Stream? imageData, CancellationToken cancellationToken);

    /// <summary>The root disk as a stream, for upload into a snapshot image; the caller disposes it.</summary>
    Task<Stream> SnapshotAsync(InstanceInfo instance, CancellationToken cancellationToken);

    /// <summary>The guest's console log, or null when the hypervisor has no such guest.</summary>
    string? GetConsoleOutput(string instanceUuid);

    /// <summary>The guest's power state, or null when the hypervisor has no such guest.</summary>
    int? GetPowerState(string instanceUuid);

    IReadOnlyList<VirtInstance> ListInstances();
}
