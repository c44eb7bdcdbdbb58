using System.Security.Cryptography;
using System.Text;
using ComputeAgent.Virt;

namespace ComputeAgent;

/// <summary>One compute host this process plays: its node, driver and what its reports carry.</summary>
public sealed class ComputeHost(string name, IVirtDriver driver)
{
    public string Name { get; } = name;

    /// <summary>The node's resource provider, stable across restarts.</summary>
    public string ProviderUuid { get; } = ComputeHosts.ProviderUuidFor(name);

    public IVirtDriver Driver { get; } = driver;

    private int failedBuilds;

    /// <summary>Consecutive failed builds, for the scheduler's BuildFailureWeigher.</summary>
    public int FailedBuilds => Volatile.Read(ref failedBuilds);

    public void BuildFailed() => Interlocked.Increment(ref failedBuilds);

    public void BuildSucceeded() => Interlocked.Exchange(ref failedBuilds, 0);

    /// <summary>What the last heartbeat answered: a disabled service gets the COMPUTE_STATUS_DISABLED trait.</summary>
    public bool Disabled { get; set; }

    /// <summary>Start-up reconciliation done.</summary>
    public bool Reconciled { get; set; }

    /// <summary>The conductor has seen this host's start (its first heartbeat went through).</summary>
    public bool Registered { get; set; }
}

/// <summary>The hosts of this process, by name.</summary>
public sealed class ComputeHosts
{
    // A fixed namespace, so a host's provider uuid is the same on every start of every process.
    private static readonly Guid providerNamespace = new("6f1c3bde-6a0e-4b1e-9b4c-2d3f4e5a6b7c");

    private readonly Dictionary<string, ComputeHost> byName;

    public ComputeHosts(ComputeSettings settings, IConfiguration configuration, ILoggerFactory loggers)
    {
        var driver = VirtDrivers.Configured(configuration);
        All = [.. settings.HostNames.Select(name => new ComputeHost(name, VirtDrivers.Create(driver, name, configuration, loggers)))];
        byName = All.ToDictionary(h => h.Name, StringComparer.Ordinal);
    }

    public IReadOnlyList<ComputeHost> All { get; }

    public ComputeHost? Find(string? name) => name is not null && byName.TryGetValue(name, out var host) ? host : null;

    /// <summary>The host whose driver has the guest, if any.</summary>
    public ComputeHost? FindByGuest(string instanceUuid) => All.FirstOrDefault(h => h.Driver.GetPowerState(instanceUuid) is not null);

    /// <summary>A name-based (version 5) uuid of the host name.</summary>
    public static string ProviderUuidFor(string hostName)
    {
        var ns = providerNamespace.ToByteArray(bigEndian: true);
        var name = Encoding.UTF8.GetBytes(hostName);
#pragma warning disable CA5350 // SHA-1 is what RFC 4122 name-based uuids are made of, not a security use.
        var hash = SHA1.HashData([.. ns, .. name]);
#pragma warning restore CA5350
        var bytes = hash.AsSpan(0, 16).ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true).ToString();
    }
}
