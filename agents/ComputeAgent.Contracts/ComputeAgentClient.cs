using System.Data.Common;
using Platform.Messaging;
using Platform.Messaging.Outbox;

namespace ComputeAgent.Contracts;

/// <summary>
/// A compute host as the conductor reaches it (nova's compute rpcapi). Casts that follow a change
/// of the instance go through the outbox with the change's transaction, so a host hears of a
/// change if and only if it committed.
/// </summary>
public sealed class ComputeAgentClient(IRpcClient rpc, IOutbox outbox)
{
    public Task CastBuildAndRunInstanceAsync(DbTransaction transaction, string host, BuildAndRunInstance message, CancellationToken cancellationToken = default) =>
        outbox.CastAsync(transaction, Topics.ComputeOn(host), message, cancellationToken);

    public Task CastStopInstanceAsync(DbTransaction transaction, string host, StopInstance message, CancellationToken cancellationToken = default) =>
        outbox.CastAsync(transaction, Topics.ComputeOn(host), message, cancellationToken);

    public Task CastStartInstanceAsync(DbTransaction transaction, string host, StartInstance message, CancellationToken cancellationToken = default) =>
        outbox.CastAsync(transaction, Topics.ComputeOn(host), message, cancellationToken);

    public Task CastRebootInstanceAsync(DbTransaction transaction, string host, RebootInstance message, CancellationToken cancellationToken = default) =>
        outbox.CastAsync(transaction, Topics.ComputeOn(host), message, cancellationToken);

    public Task CastPauseInstanceAsync(DbTransaction transaction, string host, PauseInstance message, CancellationToken cancellationToken = default) =>
        outbox.CastAsync(transaction, Topics.ComputeOn(host), message, cancellationToken);

    public Task CastUnpauseInstanceAsync(DbTransaction transaction, string host, UnpauseInstance message, CancellationToken cancellationToken = default) =>
        outbox.CastAsync(transaction, Topics.ComputeOn(host), message, cancellationToken);

    public Task CastSuspendInstanceAsync(DbTransaction transaction, string host, SuspendInstance message, CancellationToken cancellationToken = default) =>
        outbox.CastAsync(transaction, Topics.ComputeOn(host), message, cancellationToken);

    public Task CastResumeInstanceAsync(DbTransaction transaction, string host, ResumeInstance message, CancellationToken cancellationToken = default) =>
        outbox.CastAsync(transaction, Topics.ComputeOn(host), message, cancellationToken);

    public Task CastRebuildInstanceAsync(DbTransaction transaction, string host, RebuildInstance message, CancellationToken cancellationToken = default) =>
        outbox.CastAsync(transaction, Topics.ComputeOn(host), message, cancellationToken);

    public Task CastTerminateInstanceAsync(DbTransaction transaction, string host, TerminateInstance message, CancellationToken cancellationToken = default) =>
        outbox.CastAsync(transaction, Topics.ComputeOn(host), message, cancellationToken);

    public Task CastSnapshotInstanceAsync(DbTransaction transaction, string host, SnapshotInstance message, CancellationToken cancellationToken = default) =>
        outbox.CastAsync(transaction, Topics.ComputeOn(host), message, cancellationToken);

    public Task CastAttachVolumeAsync(DbTransaction transaction, string host, AttachVolume message, CancellationToken cancellationToken = default) =>
        outbox.CastAsync(transaction, Topics.ComputeOn(host), message, cancellationToken);

    public Task CastDetachVolumeAsync(DbTransaction transaction, string host, DetachVolume message, CancellationToken cancellationToken = default) =>
        outbox.CastAsync(transaction, Topics.ComputeOn(host), message, cancellationToken);

    /// <summary>Not tied to a change of ours: sent at once.</summary>
    public Task CastExternalInstanceEventAsync(string host, ExternalInstanceEvent message, CancellationToken cancellationToken = default) =>
        rpc.CastAsync(Topics.ComputeOn(host), message, cancellationToken);

    public Task<InstanceConsoleOutput> CallGetConsoleOutputAsync(string host, GetInstanceConsoleOutput request, CancellationToken cancellationToken = default) =>
        rpc.CallAsync<GetInstanceConsoleOutput, InstanceConsoleOutput>(Topics.ComputeOn(host), request, TimeSpan.FromSeconds(30), cancellationToken);
}
