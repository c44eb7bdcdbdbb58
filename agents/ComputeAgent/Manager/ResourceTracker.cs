using Scheduler.Contracts.Placement;

namespace ComputeAgent.Manager;

/// <summary>A node's report to placement (nova's resource tracker's update_available_resource).</summary>
public static class ResourceTracker
{
    public const string DisabledTrait = "COMPUTE_STATUS_DISABLED";

    public static ReportComputeNodeRequest Report(ComputeHost host, ComputeSettings settings)
    {
        var resources = host.Driver.GetHostResources();
        var request = new ReportComputeNodeRequest
        {
            ProviderUuid = host.ProviderUuid,
            Host = host.Name,
            HypervisorHostname = host.Driver.NodeName,
            HypervisorType = resources.HypervisorType,
            HypervisorVersion = resources.HypervisorVersion,
            HostIp = settings.HostIp,
            CpuInfo = resources.CpuInfo,
            FailedBuilds = host.FailedBuilds,
            RunningVms = host.Driver.ListInstances().Count,
        };
        request.Inventories.Add(Inventory("VCPU", resources.Vcpus, settings.ReservedHostCpus, settings.CpuAllocationRatio));
        request.Inventories.Add(Inventory("MEMORY_MB", resources.MemoryMb, settings.ReservedHostMemoryMb, settings.RamAllocationRatio));
        request.Inventories.Add(Inventory("DISK_GB", resources.LocalGb, (settings.ReservedHostDiskMb + 1023) / 1024, settings.DiskAllocationRatio));
        request.Traits.AddRange(resources.Traits);
        if (host.Disabled) request.Traits.Add(DisabledTrait);
        request.SupportedInstances.AddRange(resources.SupportedInstances.Select(s => new SupportedInstance
        {
            Architecture = s.Architecture,
            HypervisorType = s.HypervisorType,
            VmMode = s.VmMode,
        }));
        return request;
    }

    private static Inventory Inventory(string resourceClass, long total, long reserved, double ratio) => new()
    {
        ResourceClass = resourceClass,
        Total = total,
        Reserved = reserved,
        MinUnit = 1,
        MaxUnit = total,
        StepSize = 1,
        AllocationRatio = ratio,
    };
}
