using System.Collections.Concurrent;
using System.Text;
using Conductor.Contracts;
using Scheduler.Contracts;

namespace ComputeAgent.Virt.Fake;

/// <summary>
/// A hypervisor in memory, one per fake node (nova's fake driver): guests are entries in a table,
/// power operations flip their state, and everything is forgotten when the process ends, as a
/// host that lost its guests would. Delays and spawn failures are configurable for tests.
/// </summary>
public sealed class FakeDriver(string nodeName, FakeDriverOptions options, ILogger<FakeDriver> logger) : IVirtDriver
{
    public const string HypervisorType = "fake";
    public const long HypervisorVersion = 1000;

    private sealed class Guest(string uuid, string? name, string? imageId)
    {
        public string Uuid { get; } = uuid;
        public string? Name { get; } = name;
        public string? ImageId { get; set; } = imageId;
        public int PowerState { get; set; } = PowerStates.Running;
        public int Boots { get; set; } = 1;
        public List<string> Console { get; } = [];
        public Dictionary<string, VolumeMount> Volumes { get; } = [];
    }

    private readonly ConcurrentDictionary<string, Guest> guests = new();

    public string NodeName { get; } = nodeName;
    public bool NeedsImageData => false;
    public bool WaitsForVifPlugged => options.WaitForVifPlugged;

    public HostResources GetHostResources() => new()
    {
        Vcpus = options.Vcpus,
        MemoryMb = options.MemoryMb,
        LocalGb = options.LocalGb,
        HypervisorType = HypervisorType,
        HypervisorVersion = HypervisorVersion,
        CpuInfo = $$"""{"arch": "x86_64", "model": "fake", "vendor": "fake", "topology": {"sockets": 1, "cores": {{options.Vcpus}}, "threads": 1}, "features": []}""",
        SupportedInstances = [new("x86_64", HypervisorType, "hvm"), new("i686", HypervisorType, "hvm")],
        Traits = ["COMPUTE_NET_ATTACH_INTERFACE", "COMPUTE_DEVICE_TAGGING", "COMPUTE_NODE"],
    };

    public async Task SpawnAsync(InstanceInfo instance, ImageSpec image, Stream? imageData, IReadOnlyList<VifInfo> networkInfo, IReadOnlyList<VolumeMount> volumes,
        CancellationToken cancellationToken)
    {
        await DelayAsync(options.SpawnDelay, cancellationToken);
        if (options.FailSpawnAll || options.FailSpawnHosts.Contains(NodeName))
            throw new InvalidOperationException($"fake spawn failure injected on {NodeName}");
        var guest = new Guest(instance.Uuid, instance.DisplayName, image.Id);
        foreach (var volume in volumes) guest.Volumes[volume.VolumeId] = Check(volume);
        Boot(guest, networkInfo);
        guests[instance.Uuid] = guest;
        logger.LogDebug("fake guest {Uuid} spawned on {Node}", instance.Uuid, NodeName);
    }

    public async Task AttachVolumeAsync(InstanceInfo instance, VolumeMount volume, CancellationToken cancellationToken)
    {
        await DelayAsync(options.PowerDelay, cancellationToken);
        var guest = Find(instance.Uuid);
        var disk = Check(volume);
        lock (guest)
        {
            guest.Volumes[volume.VolumeId] = disk;
            guest.Console.Add($"[{Uptime(guest)}] {DiskLine(disk)}");
        }
    }

    public async Task DetachVolumeAsync(InstanceInfo instance, string volumeId, CancellationToken cancellationToken)
    {
        await DelayAsync(options.PowerDelay, cancellationToken);
        if (!guests.TryGetValue(instance.Uuid, out var guest)) return;
        lock (guest)
        {
            if (guest.Volumes.Remove(volumeId, out var gone))
                guest.Console.Add($"[{Uptime(guest)}] virtio_blk: [{Short(gone.DeviceName)}] removed");
        }
    }

    /// <summary>The volumes the guest has, by volume id (what tests and the console show).</summary>
    public IReadOnlyDictionary<string, VolumeMount> GetVolumes(string instanceUuid)
    {
        if (!guests.TryGetValue(instanceUuid, out var guest)) return new Dictionary<string, VolumeMount>();
        lock (guest) return new Dictionary<string, VolumeMount>(guest.Volumes);
    }

    /// <summary>
    /// A fake guest has no disk to write, but the volume must be reachable as a real one would be:
    /// a <c>file</c> volume's path (the backend's shared directory) or a <c>local</c> volume's device
    /// (a logical volume of this host) must exist here.
    /// </summary>
    private static VolumeMount Check(VolumeMount volume)
    {
        if (volume.DriverVolumeType is "file" or "local")
        {
            var path = PathOf(volume) ?? throw new InvalidOperationException($"volume {volume.VolumeId}: {volume.DriverVolumeType} connection info without a path");
            if (!File.Exists(path)) throw new InvalidOperationException($"volume {volume.VolumeId}: {path} is not reachable from this host");
        }
        return volume;
    }

    /// <summary>Where the volume is on this host: a <c>local</c> connection's device, a <c>file</c> connection's path.</summary>
    private static string? PathOf(VolumeMount volume) => volume.Data.GetValueOrDefault("device_path") ?? volume.Data.GetValueOrDefault("path");

    private static string Short(string device) => device.StartsWith("/dev/", StringComparison.Ordinal) ? device[5..] : device;

    private static string DiskLine(VolumeMount disk)
    {
        var path = PathOf(disk);
        var bytes = path is not null && File.Exists(path) ? new FileInfo(path).Length : 0;
        return $"virtio_blk: [{Short(disk.DeviceName)}] {bytes / 512} 512-byte logical blocks ({bytes / 1e9:0.00} GB/{bytes / 1073741824.0:0.00} GiB) volume {disk.VolumeId}";
    }

    public async Task DestroyAsync(string instanceUuid, CancellationToken cancellationToken)
    {
        await DelayAsync(options.DestroyDelay, cancellationToken);
        guests.TryRemove(instanceUuid, out _);
    }

    public async Task PowerOffAsync(InstanceInfo instance, CancellationToken cancellationToken)
    {
        await DelayAsync(options.PowerDelay, cancellationToken);
        // A guest the hypervisor lost is off already.
        if (guests.TryGetValue(instance.Uuid, out var guest))
            Set(guest, PowerStates.Shutdown, "reboot: Power down.");
    }

    public async Task PowerOnAsync(InstanceInfo instance, CancellationToken cancellationToken)
    {
        await DelayAsync(options.PowerDelay, cancellationToken);
        // Power on defines the guest again from what the instance says, as libvirt's hard boot does.
        var guest = guests.GetOrAdd(instance.Uuid, _ => new Guest(instance.Uuid, instance.DisplayName, instance.ImageRef) { PowerState = PowerStates.Shutdown, Boots = 0 });
        Boot(guest, instance.NetworkInfo);
    }

    public async Task RebootAsync(InstanceInfo instance, bool hard, CancellationToken cancellationToken)
    {
        await DelayAsync(options.PowerDelay, cancellationToken);
        Guest guest;
        if (hard)
            guest = guests.GetOrAdd(instance.Uuid, _ => new Guest(instance.Uuid, instance.DisplayName, instance.ImageRef) { Boots = 0 });
        else
            guest = Find(instance.Uuid);
        if (!hard && guest.PowerState != PowerStates.Running)
            throw new InvalidOperationException($"instance {instance.Uuid} is not running; a soft reboot needs a running guest");
        Boot(guest, instance.NetworkInfo);
    }

    public async Task PauseAsync(InstanceInfo instance, CancellationToken cancellationToken)
    {
        await DelayAsync(options.PowerDelay, cancellationToken);
        Set(Find(instance.Uuid), PowerStates.Paused, null);
    }

    public async Task UnpauseAsync(InstanceInfo instance, CancellationToken cancellationToken)
    {
        await DelayAsync(options.PowerDelay, cancellationToken);
        Set(Find(instance.Uuid), PowerStates.Running, null);
    }

    public async Task SuspendAsync(InstanceInfo instance, CancellationToken cancellationToken)
    {
        await DelayAsync(options.PowerDelay, cancellationToken);
        Set(Find(instance.Uuid), PowerStates.Suspended, "PM: suspend entry (deep)");
    }

    public async Task ResumeAsync(InstanceInfo instance, CancellationToken cancellationToken)
    {
        await DelayAsync(options.PowerDelay, cancellationToken);
        Set(Find(instance.Uuid), PowerStates.Running, "PM: resume from suspend");
    }

    public async Task RebuildAsync(InstanceInfo instance, ImageSpec image, Stream? imageData, CancellationToken cancellationToken)
    {
        await DelayAsync(options.SpawnDelay, cancellationToken);
        var guest = new Guest(instance.Uuid, instance.DisplayName, image.Id ?? instance.ImageRef);
        // The guest is made anew; its volumes stay given to it.
        if (guests.TryGetValue(instance.Uuid, out var old))
            lock (old) foreach (var (id, volume) in old.Volumes) guest.Volumes[id] = volume;
        Boot(guest, instance.NetworkInfo);
        guests[instance.Uuid] = guest;
    }

    public async Task<Stream> SnapshotAsync(InstanceInfo instance, CancellationToken cancellationToken)
    {
        await DelayAsync(options.SnapshotDelay, cancellationToken);
        var guest = Find(instance.Uuid);
        var disk = new StringBuilder();
        for (var i = 0; i < 64; i++)
            disk.Append(System.Globalization.CultureInfo.InvariantCulture, $"fake root disk of {guest.Uuid} from image {guest.ImageId}, block {i}\n");
        return new MemoryStream(Encoding.UTF8.GetBytes(disk.ToString()), writable: false);
    }

    public string? GetConsoleOutput(string instanceUuid)
    {
        if (!guests.TryGetValue(instanceUuid, out var guest)) return null;
        lock (guest) return string.Join('\n', guest.Console) + "\n";
    }

    public int? GetPowerState(string instanceUuid) => guests.TryGetValue(instanceUuid, out var guest) ? guest.PowerState : null;

    public IReadOnlyList<VirtInstance> ListInstances() => [.. guests.Values.Select(g => new VirtInstance(g.Uuid, g.PowerState))];

    private Guest Find(string uuid) => guests.TryGetValue(uuid, out var guest) ? guest : throw new VirtInstanceNotFoundException(uuid);

    private static void Set(Guest guest, int powerState, string? consoleLine)
    {
        lock (guest)
        {
            guest.PowerState = powerState;
            if (consoleLine is not null) guest.Console.Add($"[{Uptime(guest)}] {consoleLine}");
        }
    }

    private void Boot(Guest guest, IReadOnlyList<VifInfo> networkInfo)
    {
        lock (guest)
        {
            guest.Boots++;
            guest.PowerState = PowerStates.Running;
            var host = guest.Name ?? guest.Uuid;
            guest.Console.Add($"[    0.000000] Linux version 6.1.0-fake (boot {guest.Boots}) on {HypervisorType} hypervisor {NodeName}");
            guest.Console.Add($"[    0.210000] DMI: OpenStack Foundation OpenStack Nova, BIOS fake, instance {guest.Uuid}");
            foreach (var disk in guest.Volumes.Values.OrderBy(v => v.DeviceName, StringComparer.Ordinal))
                guest.Console.Add($"[    0.900000] {DiskLine(disk)}");
            for (var i = 0; i < networkInfo.Count; i++)
                guest.Console.Add($"[    1.100000] eth{i}: {networkInfo[i].MacAddress ?? "fa:16:3e:00:00:00"} {string.Join(' ', networkInfo[i].Addresses.Select(a => a.Address))}");
            guest.Console.Add($"[    2.400000] cloud-init: hostname set to {host}");
            guest.Console.Add($"{host} login: ");
        }
    }

    private static string Uptime(Guest guest) => $"{guest.Console.Count,8:0.000000}";

    private static Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken) =>
        delay > TimeSpan.Zero ? Task.Delay(delay, cancellationToken) : Task.CompletedTask;
}
