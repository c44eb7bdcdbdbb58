using Scheduler.Scheduling;

namespace Scheduler.Filters;

/// <summary>
/// Only hosts that can run the image: its architecture, hypervisor type and vm mode (when the
/// image names them) must all match one of the host's supported instances.
/// </summary>
public sealed class ImagePropertiesFilter : IHostFilter
{
    public string Name => nameof(ImagePropertiesFilter);

    public bool AppliesTo(SchedulingRequest request) => request.Spec.Image.Properties.Count > 0;

    public bool HostPasses(HostState host, SchedulingRequest request)
    {
        var props = request.Spec.Image.Properties;
        var arch = Canonical(Prop(props, "hw_architecture", "architecture"), Architectures);
        var hvType = Canonical(Prop(props, "img_hv_type", "hypervisor_type"), HypervisorTypes);
        var vmMode = Canonical(Prop(props, "hw_vm_mode", "vm_mode"), VmModes);
        if (arch is null && hvType is null && vmMode is null) return true;
        foreach (var s in host.SupportedInstances)
        {
            if ((arch is null || arch == Canonical(s.Architecture, Architectures))
                && (hvType is null || hvType == Canonical(s.HypervisorType, HypervisorTypes))
                && (vmMode is null || vmMode == Canonical(s.VmMode, VmModes))) return true;
        }
        return false;
    }

    private static readonly Dictionary<string, string> Architectures = new(StringComparer.OrdinalIgnoreCase)
    {
        ["amd64"] = "x86_64", ["x64"] = "x86_64", ["i386"] = "i686", ["x86"] = "i686", ["arm64"] = "aarch64", ["ppc64el"] = "ppc64le",
    };

    private static readonly Dictionary<string, string> HypervisorTypes = new(StringComparer.OrdinalIgnoreCase) { ["xapi"] = "xen" };

    private static readonly Dictionary<string, string> VmModes = new(StringComparer.OrdinalIgnoreCase) { ["pv"] = "xen", ["hv"] = "hvm", ["baremetal"] = "hvm" };

    private static string? Prop(IReadOnlyDictionary<string, string> props, string name, string legacy) =>
        props.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v) ? v
        : props.TryGetValue(legacy, out v) && !string.IsNullOrWhiteSpace(v) ? v : null;

    private static string? Canonical(string? value, Dictionary<string, string> aliases) =>
        value is null ? null : aliases.TryGetValue(value.Trim(), out var canonical) ? canonical : value.Trim().ToLowerInvariant();
}
