using System.Diagnostics;
using System.Text.Json;
using Dapper;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Context;
using Platform.Data;

namespace Platform.Messaging.Outbox;

public sealed class OutboxOptions
{
    /// <summary>Off only in tests that need a sender which "crashes" before delivering.</summary>
    public bool DispatchEnabled { get; set; } = true;

    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    public int BatchSize { get; set; } = 100;

    /// <summary>
    /// A row younger than this is left to the immediate send of the process that wrote it (see
    /// <see cref="IOutbox.CommitAsync"/>) when the dispatcher looks on its own; when woken by
    /// <see cref="IOutbox.Notify"/> it takes every row.
    /// </summary>
    public TimeSpan ImmediateSendGrace { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How many committed transactions' messages are sent at once by the immediate send.</summary>
    public int ImmediateSendConcurrency { get; set; } = 16;
}

/// <summary>
/// Delivers committed outbox rows and deletes them once the broker confirmed them, two ways:
/// <list type="bullet">
/// <item>The immediate send: the messages of a transaction committed through
/// <see cref="IOutbox.CommitAsync"/> are sent at once from memory (each transaction's in the
/// order written), then their rows are deleted in batches.</item>
/// <item>The dispatcher: rows nobody sent (written before a crash, a send that failed, a writer
/// that only called <see cref="IOutbox.Notify"/>) are claimed in order with
/// <c>FOR UPDATE SKIP LOCKED</c>, so several instances of a service share the work without
/// sending a row twice. Looking on its own, it leaves rows younger than
/// <see cref="OutboxOptions.ImmediateSendGrace"/> to the process that wrote them.</item>
/// </list>
/// A crash after send and before delete sends a message again, which is why consumers are
/// idempotent (the message id stays the same). Each message is sent under a span whose parent
/// is the span that wrote it, so the message continues the writer's trace, and with the writer's
/// request ids in the log scope.
/// </summary>
internal sealed class OutboxDispatcher(
    IDbConnectionFactory database,
    IBus bus,
    OutboxSignal signal,
    IOptions<OutboxOptions> options,
    ILogger<OutboxDispatcher> logger) : BackgroundService
{
    // CHAR(36) columns come back from MySqlConnector as Guid.
    private sealed record Row(long Id, Guid MessageId, string Kind, string? Destination, string MessageType, string Body, string Headers);

    // Rows sent by the immediate send, waiting to be deleted.
    private readonly System.Collections.Concurrent.ConcurrentQueue<long> sentRows = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.DispatchEnabled)
        {
            logger.LogWarning("outbox dispatch is disabled: messages stay in outbox_messages");
            return;
        }
        var sending = SendCommittedAsync(stoppingToken);
        await Task.WhenAll(PollAsync(stoppingToken), sending, DeleteSentAsync(sending, stoppingToken));
    }

    private async Task PollAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        var notified = true;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var sent = await DispatchBatchAsync(notified, stoppingToken);
                failures = 0;
                if (sent == options.Value.BatchSize) continue;
                notified = await signal.WaitAsync(options.Value.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                failures++;
                var delay = TimeSpan.FromMilliseconds(Math.Min(30_000, 250 * Math.Pow(2, Math.Min(failures, 7))));
                logger.LogWarning(e, "outbox dispatch failed; retrying in {Delay}", delay);
                await Task.Delay(delay, stoppingToken);
            }
        }
    }

    /// <param name="all">Every row, also those the immediate send may still be sending (the dispatcher was notified).</param>
    internal async Task<int> DispatchBatchAsync(bool all, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        // READ COMMITTED: the claim locks only the rows it takes, not the gap after them, so the
        // service's own transactions keep inserting outbox rows while a batch is being sent.
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, cancellationToken);
        var rows = (await connection.QueryAsync<Row>(new CommandDefinition("""
            SELECT id, message_id AS MessageId, kind, destination, message_type AS MessageType, body, headers
            FROM outbox_messages WHERE @all OR created_at < UTC_TIMESTAMP(6) - INTERVAL @graceMicroseconds MICROSECOND
            ORDER BY id LIMIT @Limit FOR UPDATE SKIP LOCKED
            """, new { all, graceMicroseconds = (long)(options.Value.ImmediateSendGrace.TotalMilliseconds * 1000), Limit = options.Value.BatchSize },
            transaction, cancellationToken: cancellationToken))).ToList();
        if (rows.Count == 0) return 0;

        var sent = new List<long>();
        foreach (var row in rows)
        {
            // Being sent by this process's immediate send, which deletes it when done.
            if (signal.IsClaimed(row.Id)) continue;
            try
            {
                await SendAsync(ToMessage(row), cancellationToken);
                sent.Add(row.Id);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Stop at the first failure so later messages do not overtake it.
                logger.LogWarning(e, "outbox message {MessageId} ({Type}) not delivered", row.MessageId, row.MessageType);
                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE outbox_messages SET attempts = attempts + 1, last_error = @Error WHERE id = @Id",
                    new { row.Id, Error = e.Message }, transaction, cancellationToken: cancellationToken));
                break;
            }
        }
        if (sent.Count > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM outbox_messages WHERE id IN @Ids", new { Ids = sent }, transaction, cancellationToken: cancellationToken));
        }
        await transaction.CommitAsync(cancellationToken);
        return sent.Count;
    }

    /// <summary>The immediate send: committed transactions' messages, several transactions at once, each one's in order.</summary>
    private async Task SendCommittedAsync(CancellationToken stoppingToken)
    {
        using var gate = new SemaphoreSlim(options.Value.ImmediateSendConcurrency);
        var running = new List<Task>();
        try
        {
            await foreach (var messages in signal.CommittedMessages.Reader.ReadAllAsync(stoppingToken))
            {
                await gate.WaitAsync(stoppingToken);
                running.RemoveAll(t => t.IsCompleted);
                running.Add(Task.Run(async () =>
                {
                    try
                    {
                        await SendInOrderAsync(messages, stoppingToken);
                    }
                    finally
                    {
                        gate.Release();
                    }
                }, CancellationToken.None));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        await Task.WhenAll(running);
    }

    private async Task SendInOrderAsync(List<OutboxMessage> messages, CancellationToken cancellationToken)
    {
        for (var i = 0; i < messages.Count; i++)
        {
            try
            {
                await SendAsync(messages[i], cancellationToken);
                sentRows.Enqueue(messages[i].RowId);
            }
            catch (Exception e)
            {
                // This one and those after it are left to the dispatcher, in order.
                if (e is not OperationCanceledException)
                    logger.LogWarning(e, "outbox message {MessageId} ({Type}) not sent at once; the dispatcher will", messages[i].MessageId, messages[i].Type.Name);
                signal.Release(messages.Skip(i));
                return;
            }
        }
    }

    private static readonly TimeSpan DeleteInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Deletes the rows the immediate send delivered, in batches.</summary>
    private async Task DeleteSentAsync(Task sending, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(DeleteInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            await DeleteSentOnceAsync(stoppingToken);
        }
        // What was sent before the stop, once the sends under way have ended: deleted now if the
        // database lets us, else sent once more after the restart.
        await sending;
        using var last = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await DeleteSentOnceAsync(last.Token);
    }

    private async Task DeleteSentOnceAsync(CancellationToken cancellationToken)
    {
        var ids = new List<long>();
        while (ids.Count < 1000 && sentRows.TryDequeue(out var id)) ids.Add(id);
        if (ids.Count == 0) return;
        try
        {
            await using var connection = await database.OpenAsync(cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition("DELETE FROM outbox_messages WHERE id IN @ids", new { ids }, cancellationToken: cancellationToken));
        }
        catch (Exception e)
        {
            // Left for the dispatcher: they are sent once more, and consumers take a repeat.
            logger.LogWarning("could not delete {Count} sent outbox rows: {Error}", ids.Count, e.Message);
        }
        signal.Release(ids);
    }

    private OutboxMessage ToMessage(Row row)
    {
        var type = Type.GetType(row.MessageType, throwOnError: true)!;
        var message = JsonSerializer.Deserialize(row.Body, type)
            ?? throw new InvalidOperationException($"outbox message {row.MessageId} has an empty body");
        return new OutboxMessage(row.Id, row.MessageId, row.Kind, row.Destination, type, message, ReadHeaders(row));
    }

    private Dictionary<string, string> ReadHeaders(Row row)
    {
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, string>>(row.Headers) ?? [];
        }
        catch (JsonException e)
        {
            // Only the context is lost; holding the message back would stop every row behind it.
            logger.LogWarning("outbox message {MessageId} has unreadable headers ({Error}); sent without them", row.MessageId, e.Message);
            return [];
        }
    }

    private IDisposable? BeginScope(Dictionary<string, string> headers) =>
        headers.TryGetValue(ContextHeaders.BusRequestId, out var requestId)
            ? logger.BeginScope(new Dictionary<string, object?>
            {
                ["RequestId"] = requestId,
                ["GlobalRequestId"] = headers.GetValueOrDefault(ContextHeaders.BusGlobalRequestId),
            })
            : null;

    /// <summary>
    /// The send's span, a child of the span that wrote the row (none for a row written outside any
    /// trace). MassTransit's send span, and the trace header it puts on the message, hang below it.
    /// </summary>
    private static Activity? StartActivity(OutboxMessage row, Dictionary<string, string> headers)
    {
        if (!TraceHeaders.TryParse(key => headers.GetValueOrDefault(key), out var parent)) return null;
        var activity = MessagingActivities.Source.StartActivity("outbox dispatch", ActivityKind.Internal, parent);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("messaging.message.id", row.MessageId.ToString("D"));
            activity.SetTag("messaging.operation.type", row.Kind == OutboxKinds.Cast ? "send" : "publish");
            if (row.Destination is not null) activity.SetTag("messaging.destination.name", row.Destination);
            activity.SetTag("platform.outbox.message_type", row.Type.FullName);
        }
        return activity;
    }

    private async Task SendAsync(OutboxMessage row, CancellationToken cancellationToken)
    {
        var headers = row.Headers;
        using var scope = BeginScope(headers);
        using var activity = StartActivity(row, headers);
        var messageId = row.MessageId;

        void Stamp(SendContext context)
        {
            context.MessageId = messageId;
            foreach (var (key, value) in headers)
            {
                // The writer's trace context became the span around this send; MassTransit puts
                // its own, naming its send span, on the message.
                if (key is TraceHeaders.TraceParent or TraceHeaders.TraceState) continue;
                context.Headers.Set(key, value);
            }
        }

        try
        {
            if (row.Kind == OutboxKinds.Cast)
            {
                var endpoint = await bus.GetSendEndpoint(EndpointNames.Queue(row.Destination!));
                await endpoint.Send(row.Message, row.Type, Pipe.Execute<SendContext>(Stamp), cancellationToken);
            }
            else
            {
                await bus.Publish(row.Message, row.Type, Pipe.Execute<PublishContext>(Stamp), cancellationToken);
            }
        }
        catch (Exception e)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            throw;
        }
    }
}
