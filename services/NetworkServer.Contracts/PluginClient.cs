using Platform.Messaging;

namespace NetworkServer.Contracts;

/// <summary>
/// What agents ask of the network server, one method per verb (the agent side of neutron's
/// <c>PluginApi</c> and <c>PluginReportStateAPI</c>). Agents use this and never the bus itself.
/// </summary>
public sealed class PluginClient(IRpcClient rpc)
{
    public Task<ReportStateReply> CallReportStateAsync(ReportState report, CancellationToken cancellationToken = default) =>
        rpc.CallAsync<ReportState, ReportStateReply>(Topics.Reports, report, cancellationToken: cancellationToken);

    public Task<DevicesDetailsReply> CallGetDevicesDetailsListAsync(GetDevicesDetails request, CancellationToken cancellationToken = default) =>
        rpc.CallAsync<GetDevicesDetails, DevicesDetailsReply>(Topics.Plugin, request, cancellationToken: cancellationToken);

    public Task<UpdateDeviceListReply> CallUpdateDeviceListAsync(UpdateDeviceList request, CancellationToken cancellationToken = default) =>
        rpc.CallAsync<UpdateDeviceList, UpdateDeviceListReply>(Topics.Plugin, request, cancellationToken: cancellationToken);

    public Task<SyncRoutersReply> CallSyncRoutersAsync(SyncRouters request, CancellationToken cancellationToken = default) =>
        rpc.CallAsync<SyncRouters, SyncRoutersReply>(Topics.Plugin, request, cancellationToken: cancellationToken);

    public Task<ActiveNetworksReply> CallGetActiveNetworksInfoAsync(GetActiveNetworksInfo request, CancellationToken cancellationToken = default) =>
        rpc.CallAsync<GetActiveNetworksInfo, ActiveNetworksReply>(Topics.Plugin, request, cancellationToken: cancellationToken);
}
