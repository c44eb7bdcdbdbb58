using System.Data.Common;
using System.Diagnostics;
using System.Text.Json;
using Dapper;
using MassTransit;
using Platform.Context;

namespace Platform.Messaging.Outbox;

/// <summary>
/// Messages that must leave if and only if a database change commits. Write them with the
/// change's transaction; the dispatcher delivers them after commit, also after a crash.
/// </summary>
public interface IOutbox
{
    Task CastAsync<T>(DbTransaction transaction, string queue, T message, CancellationToken cancellationToken = default) where T : class;

    Task FanoutAsync<T>(DbTransaction transaction, T message, CancellationToken cancellationToken = default) where T : class;

    /// <summary>Wakes the dispatcher now rather than at its next poll; call after commit.</summary>
    void Notify();
}

internal static class OutboxKinds
{
    public const string Cast = "cast";
    public const string Fanout = "fanout";
}

internal sealed class Outbox(OutboxSignal signal) : IOutbox
{
    public Task CastAsync<T>(DbTransaction transaction, string queue, T message, CancellationToken cancellationToken = default) where T : class =>
        InsertAsync(transaction, OutboxKinds.Cast, queue, message, cancellationToken);

    public Task FanoutAsync<T>(DbTransaction transaction, T message, CancellationToken cancellationToken = default) where T : class =>
        InsertAsync(transaction, OutboxKinds.Fanout, null, message, cancellationToken);

    public void Notify() => signal.Set();

    private static async Task InsertAsync<T>(DbTransaction transaction, string kind, string? destination, T message, CancellationToken cancellationToken)
    {
        // The caller's context and the trace it is part of are captured now: the dispatcher sends
        // later, outside this request, and restores both when it does.
        var headers = new Dictionary<string, string>();
        if (RequestContextAccessor.Current is { } caller)
            foreach (var (key, value) in ContextHeaders.ToBusHeaders(caller)) headers[key] = value;
        foreach (var (key, value) in TraceHeaders.From(Activity.Current)) headers[key] = value;
        var type = typeof(T);
        await transaction.Connection!.ExecuteAsync(new CommandDefinition("""
            INSERT INTO outbox_messages (message_id, kind, destination, message_type, body, headers, created_at)
            VALUES (@MessageId, @Kind, @Destination, @MessageType, @Body, @Headers, UTC_TIMESTAMP(6))
            """,
            new
            {
                MessageId = NewId.NextGuid(),
                Kind = kind,
                Destination = destination,
                MessageType = $"{type.FullName}, {type.Assembly.GetName().Name}",
                Body = JsonSerializer.Serialize(message, type),
                Headers = JsonSerializer.Serialize(headers),
            },
            transaction, cancellationToken: cancellationToken));
    }
}

/// <summary>A wake-up for the dispatcher, coalescing many notifications into one.</summary>
internal sealed class OutboxSignal : IDisposable
{
    private readonly SemaphoreSlim semaphore = new(0, 1);

    public void Set()
    {
        try { semaphore.Release(); }
        catch (SemaphoreFullException) { /* already signalled */ }
    }

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => semaphore.WaitAsync(timeout, cancellationToken);

    public void Dispose() => semaphore.Dispose();
}
