using System.Globalization;
using Platform.HostCommands;
using Volume.Common;

namespace Volume.Backends;

/// <summary>
/// One enabled backend of this process (a section named in <c>enabled_backends</c>, as cinder
/// configures its multi-backend): its driver, its address <c>&lt;host&gt;@&lt;section&gt;</c>
/// and what it promises the scheduler.
/// </summary>
public sealed record VolumeBackend(string Section, string BackendHost, string BackendName, IVolumeDriver Driver,
    double MaxOverSubscriptionRatio, int ReservedPercentage)
{
    /// <summary>cinder names a backend's one pool after its backend name.</summary>
    public string PoolName => BackendName;

    /// <summary>The host a volume placed here records: <c>host@backend#pool</c>.</summary>
    public string VolumeHost => $"{BackendHost}#{PoolName}";
}

/// <summary>The backends this process runs, found by a volume's host.</summary>
public sealed class VolumeBackends
{
    private readonly Dictionary<string, VolumeBackend> byHost;

    public VolumeBackends(IConfiguration configuration, VolumeSettings settings, IHostCommandRunner commands)
    {
        var backends = new List<VolumeBackend>();
        if (settings.Runs(VolumeSettings.BackendRole))
            foreach (var section in settings.EnabledBackends)
                backends.Add(Create(configuration.GetSection(section), section, settings.Host, commands));
        All = backends;
        byHost = backends.ToDictionary(b => b.BackendHost);
    }

    public IReadOnlyList<VolumeBackend> All { get; }

    /// <summary>The backend a volume on <paramref name="volumeHost"/> (<c>host@backend#pool</c>) lives on, if it is one of ours.</summary>
    public VolumeBackend? For(string? volumeHost) =>
        volumeHost is not null && byHost.TryGetValue(Volume.Contracts.Topics.BackendOf(volumeHost), out var b) ? b : null;

    private static VolumeBackend Create(IConfigurationSection c, string section, string host, IHostCommandRunner commands)
    {
        var driverName = c["volume_driver"] is { Length: > 0 } d ? d : "file";
        IVolumeDriver driver = driverName switch
        {
            "file" => new FileDriver(c["volumes_dir"] is { Length: > 0 } dir ? dir : "/var/lib/platform/volumes"),
            "lvm" => new LvmDriver(c["volume_group"] is { Length: > 0 } vg ? vg : "cinder-volumes", commands),
            _ => throw new InvalidOperationException($"[{section}] volume_driver = {driverName}: the drivers there are: file, lvm"),
        };
        return new VolumeBackend(section, $"{host}@{section}", c["volume_backend_name"] is { Length: > 0 } n ? n : section, driver,
            double.TryParse(c["max_over_subscription_ratio"], NumberStyles.Float, CultureInfo.InvariantCulture, out var ratio) && ratio > 0 ? ratio : 20.0,
            int.TryParse(c["reserved_percentage"], out var reserved) && reserved is >= 0 and <= 100 ? reserved : 0);
    }
}
