using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
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

    /// <summary>
    /// Commits <paramref name="transaction"/> and sends the messages written in it at once, in
    /// the background: they leave without waiting for the dispatcher to look for them. Any the
    /// immediate send could not deliver (the broker away, the process gone) stay in the table
    /// for the dispatcher, as every message did before it was sent.
    /// </summary>
    Task CommitAsync(DbTransaction transaction, CancellationToken cancellationToken = default);

    /// <summary>Wakes the dispatcher now rather than at its next poll; call after commit.</summary>
    void Notify();
}

internal static class OutboxKinds
{
    public const string Cast = "cast";
    public const string Fanout = "fanout";
}

/// <summary>One outbox row as it is sent: the message itself, its id, where it goes and the writer's context.</summary>
internal sealed record OutboxMessage(long RowId, Guid MessageId, string Kind, string? Destination, Type Type, object Message, Dictionary<string, string> Headers);

internal sealed class Outbox(OutboxSignal signal) : IOutbox
{
    // What each open transaction wrote, for CommitAsync to send; gone with the transaction.
    private readonly ConditionalWeakTable<DbTransaction, List<OutboxMessage>> written = [];

    public Task CastAsync<T>(DbTransaction transaction, string queue, T message, CancellationToken cancellationToken = default) where T : class =>
        InsertAsync(transaction, OutboxKinds.Cast, queue, message, cancellationToken);

    public Task FanoutAsync<T>(DbTransaction transaction, T message, CancellationToken cancellationToken = default) where T : class =>
        InsertAsync(transaction, OutboxKinds.Fanout, null, message, cancellationToken);

    public void Notify() => signal.Set();

    public async Task CommitAsync(DbTransaction transaction, CancellationToken cancellationToken = default)
    {
        if (!written.TryGetValue(transaction, out var messages))
        {
            await transaction.CommitAsync(cancellationToken);
            return;
        }
        written.Remove(transaction);
        // Claimed before the commit: the dispatcher never sees these rows committed and unclaimed.
        signal.Claim(messages);
        try
        {
            await transaction.CommitAsync(cancellationToken);
        }
        catch
        {
            signal.Release(messages);
            throw;
        }
        signal.Committed(messages);
    }

    private async Task InsertAsync<T>(DbTransaction transaction, string kind, string? destination, T message, CancellationToken cancellationToken)
    {
        // The caller's context and the trace it is part of are captured now: the message is sent
        // later, outside this request, and carries both.
        var headers = new Dictionary<string, string>();
        if (RequestContextAccessor.Current is { } caller)
            foreach (var (key, value) in ContextHeaders.ToBusHeaders(caller)) headers[key] = value;
        foreach (var (key, value) in TraceHeaders.From(Activity.Current)) headers[key] = value;
        var type = typeof(T);
        var messageId = NewId.NextGuid();
        var rowId = await transaction.Connection!.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO outbox_messages (message_id, kind, destination, message_type, body, headers, created_at)
            VALUES (@MessageId, @Kind, @Destination, @MessageType, @Body, @Headers, UTC_TIMESTAMP(6));
            SELECT LAST_INSERT_ID();
            """,
            new
            {
                MessageId = messageId,
                Kind = kind,
                Destination = destination,
                MessageType = $"{type.FullName}, {type.Assembly.GetName().Name}",
                Body = JsonSerializer.Serialize(message, type),
                Headers = JsonSerializer.Serialize(headers),
            },
            transaction, cancellationToken: cancellationToken));
        written.GetOrCreateValue(transaction).Add(new OutboxMessage(rowId, messageId, kind, destination, type, message ?? throw new ArgumentNullException(nameof(message)), headers));
    }
}

/// <summary>
/// Between the writers and the dispatcher: the wake-up (many notifications coalesce into one),
/// the messages of committed transactions waiting to be sent at once, and the rows claimed by
/// that immediate send, which the dispatcher leaves alone.
/// </summary>
internal sealed class OutboxSignal : IDisposable
{
    private readonly SemaphoreSlim semaphore = new(0, 1);
    private readonly ConcurrentDictionary<long, byte> claimed = new();

    public Channel<List<OutboxMessage>> CommittedMessages { get; } =
        Channel.CreateUnbounded<List<OutboxMessage>>(new UnboundedChannelOptions { SingleReader = true });

    public void Set()
    {
        try { semaphore.Release(); }
        catch (SemaphoreFullException) { /* already signalled */ }
    }

    /// <summary>True when woken by <see cref="Set"/>, false when the time ran out.</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => semaphore.WaitAsync(timeout, cancellationToken);

    public void Claim(IEnumerable<OutboxMessage> messages)
    {
        foreach (var m in messages) claimed[m.RowId] = 0;
    }

    public void Release(IEnumerable<OutboxMessage> messages) => Release(messages.Select(m => m.RowId));

    public void Release(IEnumerable<long> rowIds)
    {
        foreach (var id in rowIds) claimed.TryRemove(id, out _);
    }

    public bool IsClaimed(long rowId) => claimed.ContainsKey(rowId);

    public void Committed(List<OutboxMessage> messages)
    {
        if (!CommittedMessages.Writer.TryWrite(messages)) Release(messages);
    }

    public void Dispose() => semaphore.Dispose();
}
