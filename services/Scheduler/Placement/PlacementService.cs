using Grpc.Core;
using Scheduler.Contracts.Placement;
using Scheduler.Scheduling;
using Rpc = Scheduler.Contracts.Placement;

namespace Scheduler.Placement;

/// <summary>The placement gRPC API (Protos/placement.proto): input checked here, data in <see cref="PlacementStore"/>.</summary>
public sealed class PlacementService(PlacementStore store, SchedulerOptions options, TimeProvider time) : Rpc.Placement.PlacementBase
{
    public override async Task<ReportComputeNodeReply> ReportComputeNode(ReportComputeNodeRequest request, ServerCallContext context)
    {
        var uuid = Uuid(request.ProviderUuid, "provider_uuid");
        if (string.IsNullOrWhiteSpace(request.Host)) throw new PlacementInputException("host is required");
        if (request.FailedBuilds < 0 || request.HypervisorVersion < 0) throw new PlacementInputException("failed_builds and hypervisor_version cannot be negative");
        var inventories = new List<InventoryRecord>();
        foreach (var i in request.Inventories)
        {
            if (!ResourceClasses.IsKnown(i.ResourceClass)) throw new PlacementInputException($"unknown resource class '{i.ResourceClass}'");
            if (i.Total < 0 || i.Reserved < 0 || i.MinUnit < 0 || i.MaxUnit < 0 || i.StepSize < 0 || i.AllocationRatio < 0 || double.IsNaN(i.AllocationRatio))
                throw new PlacementInputException($"inventory of {i.ResourceClass}: amounts cannot be negative");
            if (inventories.Any(x => x.ResourceClass == i.ResourceClass)) throw new PlacementInputException($"inventory of {i.ResourceClass} given twice");
            var inventory = new InventoryRecord(i.ResourceClass, i.Total, i.Reserved, i.MinUnit == 0 ? 1 : i.MinUnit, i.MaxUnit == 0 ? Math.Max(1, i.Total) : i.MaxUnit,
                i.StepSize == 0 ? 1 : i.StepSize, i.AllocationRatio == 0 ? 1 : i.AllocationRatio);
            if (inventory.MinUnit > inventory.MaxUnit) throw new PlacementInputException($"inventory of {i.ResourceClass}: min_unit exceeds max_unit");
            inventories.Add(inventory);
        }
        var generation = await store.ReportComputeNodeAsync(new NodeReport(uuid, request.Host, string.IsNullOrEmpty(request.HypervisorHostname) ? request.Host : request.HypervisorHostname,
            request.HypervisorType, request.HypervisorVersion, request.HostIp, request.CpuInfo, inventories, [.. request.Traits],
            [.. request.SupportedInstances.Select(s => new SupportedInstanceRecord(s.Architecture, s.HypervisorType, s.VmMode))], request.FailedBuilds),
            context.CancellationToken);
        return new ReportComputeNodeReply { Generation = generation };
    }

    public override async Task<SetComputeServiceStatusReply> SetComputeServiceStatus(SetComputeServiceStatusRequest request, ServerCallContext context)
    {
        if (string.IsNullOrWhiteSpace(request.Host)) throw new PlacementInputException("host is required");
        await store.SetServiceStatusAsync(request.Host, request.Disabled, string.IsNullOrEmpty(request.DisabledReason) ? null : request.DisabledReason,
            request.ForcedDown, context.CancellationToken);
        return new SetComputeServiceStatusReply();
    }

    public override async Task<PutAggregateReply> PutAggregate(PutAggregateRequest request, ServerCallContext context)
    {
        var uuid = Uuid(request.Uuid, "uuid");
        await store.PutAggregateAsync(uuid, request.Name, request.AvailabilityZone, [.. request.Hosts], request.Metadata, context.CancellationToken);
        return new PutAggregateReply();
    }

    public override async Task<DeleteAggregateReply> DeleteAggregate(DeleteAggregateRequest request, ServerCallContext context)
    {
        await store.DeleteAggregateAsync(Uuid(request.Uuid, "uuid"), context.CancellationToken);
        return new DeleteAggregateReply();
    }

    public override async Task<ClaimAllocationsReply> ClaimAllocations(ClaimAllocationsRequest request, ServerCallContext context)
    {
        var consumer = Uuid(request.ConsumerUuid, "consumer_uuid");
        if (request.Allocations.Count == 0) throw new PlacementInputException("allocations are required");
        var allocations = new List<AllocationRequest>();
        foreach (var a in request.Allocations)
        {
            var provider = Uuid(a.ProviderUuid, "provider_uuid");
            if (a.Resources.Count == 0) throw new PlacementInputException($"allocation on {provider} names no resources");
            foreach (var (rc, amount) in a.Resources)
            {
                if (!ResourceClasses.IsKnown(rc)) throw new PlacementInputException($"unknown resource class '{rc}'");
                if (amount < 1) throw new PlacementInputException($"{rc} on {provider}: an amount must be at least 1");
            }
            allocations.Add(new AllocationRequest(provider, new Dictionary<string, long>(a.Resources)));
        }
        var outcome = await store.ClaimAsync(consumer, request.ProjectId, request.UserId, allocations, context.CancellationToken);
        return new ClaimAllocationsReply { Claimed = outcome.Claimed, Reason = outcome.Reason };
    }

    public override async Task<DeleteAllocationsReply> DeleteAllocations(DeleteAllocationsRequest request, ServerCallContext context) =>
        new() { Deleted = await store.DeleteAllocationsAsync(Uuid(request.ConsumerUuid, "consumer_uuid"), context.CancellationToken) };

    public override async Task<GetAllocationsReply> GetAllocations(GetAllocationsRequest request, ServerCallContext context)
    {
        var (allocations, project, user) = await store.GetAllocationsAsync(Uuid(request.ConsumerUuid, "consumer_uuid"), context.CancellationToken);
        var reply = new GetAllocationsReply { ProjectId = project ?? "", UserId = user ?? "" };
        foreach (var a in allocations)
        {
            var p = new ProviderAllocation { ProviderUuid = a.ProviderUuid };
            foreach (var (rc, amount) in a.Resources) p.Resources[rc] = amount;
            reply.Allocations.Add(p);
        }
        return reply;
    }

    public override async Task<ListComputeNodesReply> ListComputeNodes(ListComputeNodesRequest request, ServerCallContext context)
    {
        var snapshots = await store.LoadProvidersAsync(null, string.IsNullOrEmpty(request.Host) ? null : request.Host, context.CancellationToken);
        var now = time.GetUtcNow().UtcDateTime;
        var reply = new ListComputeNodesReply();
        foreach (var s in snapshots.OrderBy(s => s.Row.Id))
        {
            var host = HostState.From(s);
            var node = new ComputeNode
            {
                ProviderUuid = host.Uuid, Id = host.Id, Host = host.Host, HypervisorHostname = host.Nodename, HypervisorType = host.HypervisorType,
                HypervisorVersion = host.HypervisorVersion, HostIp = host.HostIp, CpuInfo = host.CpuInfoText, RunningVms = host.RunningVms,
                Disabled = host.Disabled, DisabledReason = host.DisabledReason ?? "", ForcedDown = host.ForcedDown,
                Up = host.IsUp(now, options.ServiceDownTime), AvailabilityZone = host.AvailabilityZone(options.DefaultAvailabilityZone), Generation = host.Generation,
            };
            foreach (var i in s.Inventories.Values.OrderBy(i => i.ResourceClass, StringComparer.Ordinal))
                node.Inventories.Add(new Inventory
                {
                    ResourceClass = i.ResourceClass, Total = i.Total, Reserved = i.Reserved, MinUnit = i.MinUnit, MaxUnit = i.MaxUnit, StepSize = i.StepSize,
                    AllocationRatio = i.AllocationRatio,
                });
            foreach (var (rc, amount) in s.Used) node.Used[rc] = amount;
            reply.Nodes.Add(node);
        }
        return reply;
    }

    private static string Uuid(string value, string field) =>
        Guid.TryParse(value, out var g) ? g.ToString() : throw new PlacementInputException($"{field} must be a UUID, got '{value}'");
}
