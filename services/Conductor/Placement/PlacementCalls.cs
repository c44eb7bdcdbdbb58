using Scheduler.Contracts;
using Scheduler.Contracts.Placement;
using PlacementClient = Scheduler.Contracts.Placement.Placement.PlacementClient;

namespace Conductor.Placement;

/// <summary>The few placement calls the conductor makes, over the scheduler's gRPC placement API.</summary>
public sealed class PlacementCalls(PlacementClient client)
{
    /// <summary>Claims an alternate's resources for the instance, replacing what it held before.</summary>
    public async Task<(bool Claimed, string Reason)> ClaimAsync(string consumerUuid, string projectId, string? userId, Selection selection, CancellationToken cancellationToken)
    {
        var request = new ClaimAllocationsRequest { ConsumerUuid = consumerUuid, ProjectId = projectId, UserId = userId ?? "" };
        var allocation = new ProviderAllocation { ProviderUuid = selection.ComputeNodeUuid };
        foreach (var (resourceClass, amount) in selection.Allocation) allocation.Resources.Add(resourceClass, amount);
        request.Allocations.Add(allocation);
        var reply = await client.ClaimAllocationsAsync(request, cancellationToken: cancellationToken);
        return (reply.Claimed, reply.Reason);
    }

    public async Task DeleteAllocationsAsync(string consumerUuid, CancellationToken cancellationToken) =>
        await client.DeleteAllocationsAsync(new DeleteAllocationsRequest { ConsumerUuid = consumerUuid }, cancellationToken: cancellationToken);

    public async Task SetComputeServiceStatusAsync(string host, bool disabled, string? reason, bool forcedDown, CancellationToken cancellationToken) =>
        await client.SetComputeServiceStatusAsync(new SetComputeServiceStatusRequest
        {
            Host = host,
            Disabled = disabled,
            DisabledReason = reason ?? "",
            ForcedDown = forcedDown,
        }, cancellationToken: cancellationToken);
}
