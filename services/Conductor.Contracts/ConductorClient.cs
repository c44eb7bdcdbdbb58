using Platform.Messaging;

namespace Conductor.Contracts;

/// <summary>
/// The conductor as the compute API and the compute agents reach it (nova's conductor rpcapi and
/// compute_task rpcapi): each method says its verb.
/// </summary>
public sealed class ConductorClient(IRpcClient rpc)
{
    // ---- compute API ----

    public Task CastBuildInstancesAsync(BuildInstances request, CancellationToken cancellationToken = default) =>
        rpc.CastAsync(Topics.Conductor, request, cancellationToken);

    public Task<InstanceActionReply> CallInstanceActionAsync(RequestInstanceAction request, CancellationToken cancellationToken = default) =>
        rpc.CallAsync<RequestInstanceAction, InstanceActionReply>(Topics.Conductor, request, cancellationToken: cancellationToken);

    public Task<ConsoleOutputReply> CallGetConsoleOutputAsync(GetConsoleOutput request, CancellationToken cancellationToken = default) =>
        rpc.CallAsync<GetConsoleOutput, ConsoleOutputReply>(Topics.Conductor, request, cancellationToken: cancellationToken);

    public Task<InstanceActionsReply> CallListInstanceActionsAsync(string instanceUuid, CancellationToken cancellationToken = default) =>
        rpc.CallAsync<ListInstanceActions, InstanceActionsReply>(Topics.Conductor, new ListInstanceActions(instanceUuid), cancellationToken: cancellationToken);

    public Task CastExternalInstanceEventsAsync(ExternalInstanceEvents events, CancellationToken cancellationToken = default) =>
        rpc.CastAsync(Topics.Conductor, events, cancellationToken);

    public Task<ComputeServicesReply> CallListComputeServicesAsync(ListComputeServices request, CancellationToken cancellationToken = default) =>
        rpc.CallAsync<ListComputeServices, ComputeServicesReply>(Topics.Conductor, request, cancellationToken: cancellationToken);

    public Task<UpdateComputeServiceReply> CallUpdateComputeServiceAsync(UpdateComputeService request, CancellationToken cancellationToken = default) =>
        rpc.CallAsync<UpdateComputeService, UpdateComputeServiceReply>(Topics.Conductor, request, cancellationToken: cancellationToken);

    public Task<DeleteComputeServiceReply> CallDeleteComputeServiceAsync(string uuid, CancellationToken cancellationToken = default) =>
        rpc.CallAsync<DeleteComputeService, DeleteComputeServiceReply>(Topics.Conductor, new DeleteComputeService(uuid), cancellationToken: cancellationToken);

    // ---- compute agents ----

    public Task<ComputeServiceReportReply> CallComputeServiceReportAsync(ComputeServiceReport report, CancellationToken cancellationToken = default) =>
        rpc.CallAsync<ComputeServiceReport, ComputeServiceReportReply>(Topics.ConductorCompute, report, cancellationToken: cancellationToken);

    public Task<InstanceUpdateReply> CallInstanceUpdateAsync(InstanceUpdate update, CancellationToken cancellationToken = default) =>
        rpc.CallAsync<InstanceUpdate, InstanceUpdateReply>(Topics.ConductorCompute, update, cancellationToken: cancellationToken);

    public Task<RecordActionEventReply> CallRecordActionEventAsync(RecordActionEvent record, CancellationToken cancellationToken = default) =>
        rpc.CallAsync<RecordActionEvent, RecordActionEventReply>(Topics.ConductorCompute, record, cancellationToken: cancellationToken);

    public Task CastRescheduleBuildAsync(RescheduleBuild request, CancellationToken cancellationToken = default) =>
        rpc.CastAsync(Topics.Conductor, request, cancellationToken);

    public Task<InstancesOnHostReply> CallGetInstancesOnHostAsync(string host, CancellationToken cancellationToken = default) =>
        rpc.CallAsync<GetInstancesOnHost, InstancesOnHostReply>(Topics.ConductorCompute, new GetInstancesOnHost(host), cancellationToken: cancellationToken);
}
