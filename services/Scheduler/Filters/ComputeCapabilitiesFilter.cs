using System.Globalization;
using System.Text.Json;
using Scheduler.Scheduling;

namespace Scheduler.Filters;

/// <summary>
/// Flavor extra specs against what the host reports: unscoped keys and keys scoped
/// <c>capabilities:</c> (other scopes belong to other filters), compared with
/// <see cref="ExtraSpecsOps"/>. Nested keys (<c>capabilities:cpu_info:arch</c>) walk into cpu_info.
/// </summary>
public sealed class ComputeCapabilitiesFilter : IHostFilter
{
    public string Name => nameof(ComputeCapabilitiesFilter);

    public bool AppliesTo(SchedulingRequest request) => request.Spec.Flavor.ExtraSpecs.Count > 0;

    public bool HostPasses(HostState host, SchedulingRequest request)
    {
        var specs = request.Spec.Flavor.ExtraSpecs;
        if (specs.Count == 0) return true;
        foreach (var (key, wanted) in specs)
        {
            var path = key.Split(':');
            if (path.Length > 1)
            {
                // A scope other than capabilities is another filter's business.
                if (path[0] != "capabilities") continue;
                path = path[1..];
            }
            if (path.Length == 0 || !ExtraSpecsOps.Match(Capability(host, path, request), wanted)) return false;
        }
        return true;
    }

    /// <summary>A host attribute by name (nova's HostState attribute names), or null when it has none.</summary>
    public static HostValue? Capability(HostState host, IReadOnlyList<string> path, SchedulingRequest request)
    {
        static HostValue Num(double v) => new(v.ToString(CultureInfo.InvariantCulture));
        HostValue? top = path[0] switch
        {
            "hypervisor_type" => new HostValue(host.HypervisorType),
            "hypervisor_version" => Num(host.HypervisorVersion),
            "hypervisor_hostname" or "nodename" => new HostValue(host.Nodename),
            "host" => new HostValue(host.Host),
            "host_ip" => new HostValue(host.HostIp),
            "free_ram_mb" => Num(host.Free("MEMORY_MB")),
            "free_disk_mb" => Num(host.Free("DISK_GB") * 1024),
            "vcpus_total" => Num(host.Inventories.TryGetValue("VCPU", out var v) ? v.Total : 0),
            "vcpus_used" => Num(host.Used.GetValueOrDefault("VCPU")),
            "total_usable_ram_mb" => Num(host.Inventories.TryGetValue("MEMORY_MB", out var m) ? m.Total : 0),
            "total_usable_disk_gb" => Num(host.Inventories.TryGetValue("DISK_GB", out var d) ? d.Total : 0),
            "num_instances" => Num(host.RunningVms),
            "failed_builds" => Num(host.FailedBuilds),
            "availability_zone" => new HostValue(host.AvailabilityZone(request.Options.DefaultAvailabilityZone)),
            "traits" => new HostValue(null, [.. host.Traits]),
            "supported_instances" => new HostValue(null, [.. host.SupportedInstances.Select(s => $"{s.Architecture},{s.HypervisorType},{s.VmMode}")]),
            "cpu_info" => path.Count == 1 ? new HostValue(host.CpuInfoText) : Walk(host.CpuInfo, path.Skip(1)),
            _ => null,
        };
        return path.Count > 1 && path[0] != "cpu_info" ? null : top;
    }

    private static HostValue? Walk(JsonElement element, IEnumerable<string> path)
    {
        foreach (var step in path)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(step, out element)) return null;
        }
        return element.ValueKind switch
        {
            JsonValueKind.String => new HostValue(element.GetString()),
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => new HostValue(element.GetRawText()),
            JsonValueKind.Array => new HostValue(null, [.. element.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText())]),
            JsonValueKind.Object => new HostValue(element.GetRawText()),
            _ => null,
        };
    }
}
