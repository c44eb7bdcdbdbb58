using System.Text.RegularExpressions;

namespace Scheduler.Placement;

/// <summary>The resource classes placement knows: the standard ones and operators' CUSTOM_* classes.</summary>
public static partial class ResourceClasses
{
    public const string Vcpu = "VCPU";
    public const string MemoryMb = "MEMORY_MB";
    public const string DiskGb = "DISK_GB";

    private static readonly HashSet<string> Standard = new(StringComparer.Ordinal)
    {
        Vcpu, MemoryMb, DiskGb, "PCPU", "SRIOV_NET_VF", "NUMA_SOCKET", "NUMA_CORE", "NUMA_THREAD", "NUMA_MEMORY_MB",
        "IPV4_ADDRESS", "VGPU", "VGPU_DISPLAY_HEAD", "NET_BW_EGR_KILOBIT_PER_SEC", "NET_BW_IGR_KILOBIT_PER_SEC",
        "PCI_DEVICE", "MEM_ENCRYPTION_CONTEXT",
    };

    [GeneratedRegex("^CUSTOM_[A-Z0-9_]+$")]
    private static partial Regex CustomPattern();

    public static bool IsKnown(string name) => Standard.Contains(name) || CustomPattern().IsMatch(name);
}
