using System.Data.Common;
using Platform.Messaging;
using Platform.Messaging.Outbox;

namespace Volume.Contracts;

/// <summary>The volume scheduler as the API reaches it (cinder's scheduler rpcapi).</summary>
public sealed class VolumeSchedulerClient(IOutbox outbox)
{
    /// <summary>Sent with the transaction that wrote the volume: the scheduler hears of it if and only if it committed.</summary>
    public Task CastCreateVolumeAsync(DbTransaction transaction, ScheduleCreateVolume message, CancellationToken cancellationToken = default) =>
        outbox.CastAsync(transaction, Topics.Scheduler, message, cancellationToken);

    /// <summary>Sends what the committed transaction cast now, rather than at the outbox's next poll.</summary>
    public void Flush() => outbox.Notify();
}

/// <summary>
/// A backend worker as the API and the scheduler reach it (cinder's volume rpcapi). Casts that
/// follow a change of a row go through the outbox with the change's transaction; calls wait for
/// the backend's answer for <c>[messaging] rpc_response_timeout</c>.
/// </summary>
public sealed class VolumeBackendClient(IRpcClient rpc, IOutbox outbox)
{
    public Task CastCreateVolumeAsync(DbTransaction transaction, string volumeHost, CreateVolume message, CancellationToken cancellationToken = default) =>
        outbox.CastAsync(transaction, Topics.Backend(Topics.BackendOf(volumeHost)), message, cancellationToken);

    public Task CastDeleteVolumeAsync(DbTransaction transaction, string volumeHost, DeleteVolume message, CancellationToken cancellationToken = default) =>
        outbox.CastAsync(transaction, Topics.Backend(Topics.BackendOf(volumeHost)), message, cancellationToken);

    public Task CastExtendVolumeAsync(DbTransaction transaction, string volumeHost, ExtendVolume message, CancellationToken cancellationToken = default) =>
        outbox.CastAsync(transaction, Topics.Backend(Topics.BackendOf(volumeHost)), message, cancellationToken);

    public Task CastCreateSnapshotAsync(DbTransaction transaction, string volumeHost, CreateSnapshot message, CancellationToken cancellationToken = default) =>
        outbox.CastAsync(transaction, Topics.Backend(Topics.BackendOf(volumeHost)), message, cancellationToken);

    public Task CastDeleteSnapshotAsync(DbTransaction transaction, string volumeHost, DeleteSnapshot message, CancellationToken cancellationToken = default) =>
        outbox.CastAsync(transaction, Topics.Backend(Topics.BackendOf(volumeHost)), message, cancellationToken);

    /// <summary>Sends what the committed transaction cast now, rather than at the outbox's next poll.</summary>
    public void Flush() => outbox.Notify();

    public Task<VolumeConnection> CallInitializeConnectionAsync(string volumeHost, InitializeConnection request, CancellationToken cancellationToken = default) =>
        rpc.CallAsync<InitializeConnection, VolumeConnection>(Topics.Backend(Topics.BackendOf(volumeHost)), request, cancellationToken: cancellationToken);

    public Task<TerminateConnectionReply> CallTerminateConnectionAsync(string volumeHost, TerminateConnection request, CancellationToken cancellationToken = default) =>
        rpc.CallAsync<TerminateConnection, TerminateConnectionReply>(Topics.Backend(Topics.BackendOf(volumeHost)), request, cancellationToken: cancellationToken);
}
