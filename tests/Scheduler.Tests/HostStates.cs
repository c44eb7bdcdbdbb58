using Scheduler.Contracts;
using Scheduler.Placement;
using Scheduler.Scheduling;

namespace Scheduler.Tests;

/// <summary>Host states and requests for the filter and weigher unit tests.</summary>
internal static class HostStates
{
    private static long next;

    public static HostState Make(string host, int vcpus = 8, int ramMb = 16384, int diskGb = 100, double cpuRatio = 1, int failedBuilds = 0,
        string? zone = null, bool disabled = false, bool forcedDown = false, DateTime? lastReport = null, string hypervisorType = "qemu",
        long hypervisorVersion = 6002000, string cpuInfo = """{"arch": "x86_64", "vendor": "Intel", "features": ["vmx", "sse4.2", "avx"]}""",
        IReadOnlyList<SupportedInstanceRecord>? supported = null, Dictionary<string, long>? used = null) => new()
    {
        Id = Interlocked.Increment(ref next),
        Uuid = Guid.NewGuid().ToString(),
        Host = host,
        Nodename = host + ".node",
        HypervisorType = hypervisorType,
        HypervisorVersion = hypervisorVersion,
        CpuInfoText = cpuInfo,
        SupportedInstances = supported ?? [new SupportedInstanceRecord("x86_64", "qemu", "hvm")],
        FailedBuilds = failedBuilds,
        Disabled = disabled,
        ForcedDown = forcedDown,
        LastReportAt = lastReport ?? DateTime.UtcNow,
        AggregateZone = zone,
        Inventories = new Dictionary<string, InventoryRecord>
        {
            ["VCPU"] = new("VCPU", vcpus, 0, 1, vcpus, 1, cpuRatio),
            ["MEMORY_MB"] = new("MEMORY_MB", ramMb, 0, 1, ramMb, 1, 1),
            ["DISK_GB"] = new("DISK_GB", diskGb, 0, 1, diskGb, 1, 1),
        },
        Used = used ?? [],
    };

    public static FlavorSpec Flavor(int vcpus = 1, int ram = 512, int root = 1, int ephemeral = 0, int swap = 0, Dictionary<string, string>? extraSpecs = null) => new()
    {
        Id = "f1", Name = "m1.test", Vcpus = vcpus, MemoryMb = ram, RootGb = root, EphemeralGb = ephemeral, SwapMb = swap,
        ExtraSpecs = extraSpecs ?? [],
    };

    public static SchedulingRequest Request(RequestSpec? spec = null, SchedulerOptions? options = null, IEnumerable<string>? groupHosts = null)
    {
        spec ??= Spec();
        return new SchedulingRequest
        {
            Spec = spec,
            Resources = SchedulingRequest.ResourcesOf(spec.Flavor, spec.IsBfv),
            Options = options ?? new SchedulerOptions(),
            GroupHosts = [.. groupHosts ?? spec.InstanceGroup?.Hosts ?? []],
        };
    }

    public static RequestSpec Spec(FlavorSpec? flavor = null) => new()
    {
        InstanceUuid = Guid.NewGuid().ToString(), ProjectId = "p1", Flavor = flavor ?? Flavor(),
    };
}
