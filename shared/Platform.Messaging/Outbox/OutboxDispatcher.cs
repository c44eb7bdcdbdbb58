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
}

/// <summary>
/// Delivers committed outbox rows in order and deletes them once the broker confirmed them.
/// Rows are claimed with <c>FOR UPDATE SKIP LOCKED</c>, so several instances of a service share
/// the work without sending a row twice; a crash after send and before delete sends it again,
/// which is why consumers are idempotent (the message id stays the same). Each row is sent under
/// a span whose parent is the span that wrote it, so the message continues the writer's trace,
/// and with the writer's request ids in the log scope.
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

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.DispatchEnabled)
        {
            logger.LogWarning("outbox dispatch is disabled: messages stay in outbox_messages");
            return;
        }
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var sent = await DispatchBatchAsync(stoppingToken);
                failures = 0;
                if (sent == options.Value.BatchSize) continue;
                await signal.WaitAsync(options.Value.PollInterval, stoppingToken);
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

    internal async Task<int> DispatchBatchAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        // READ COMMITTED: the claim locks only the rows it takes, not the gap after them, so the
        // service's own transactions keep inserting outbox rows while a batch is being sent.
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, cancellationToken);
        var rows = (await connection.QueryAsync<Row>(new CommandDefinition("""
            SELECT id, message_id AS MessageId, kind, destination, message_type AS MessageType, body, headers
            FROM outbox_messages ORDER BY id LIMIT @Limit FOR UPDATE SKIP LOCKED
            """, new { Limit = options.Value.BatchSize }, transaction, cancellationToken: cancellationToken))).ToList();
        if (rows.Count == 0) return 0;

        var sent = new List<long>();
        foreach (var row in rows)
        {
            var headers = ReadHeaders(row);
            using var scope = BeginScope(headers);
            using var activity = StartActivity(row, headers);
            try
            {
                await SendAsync(row, headers, cancellationToken);
                sent.Add(row.Id);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                activity?.SetStatus(ActivityStatusCode.Error, e.Message);
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
    private static Activity? StartActivity(Row row, Dictionary<string, string> headers)
    {
        if (!TraceHeaders.TryParse(key => headers.GetValueOrDefault(key), out var parent)) return null;
        var activity = MessagingActivities.Source.StartActivity("outbox dispatch", ActivityKind.Internal, parent);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("messaging.message.id", row.MessageId.ToString("D"));
            activity.SetTag("messaging.operation.type", row.Kind == OutboxKinds.Cast ? "send" : "publish");
            if (row.Destination is not null) activity.SetTag("messaging.destination.name", row.Destination);
            activity.SetTag("platform.outbox.message_type", row.MessageType);
        }
        return activity;
    }

    private async Task SendAsync(Row row, Dictionary<string, string> headers, CancellationToken cancellationToken)
    {
        var type = Type.GetType(row.MessageType, throwOnError: true)!;
        var message = JsonSerializer.Deserialize(row.Body, type)
            ?? throw new InvalidOperationException($"outbox message {row.MessageId} has an empty body");
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

        if (row.Kind == OutboxKinds.Cast)
        {
            var endpoint = await bus.GetSendEndpoint(EndpointNames.Queue(row.Destination!));
            await endpoint.Send(message, type, Pipe.Execute<SendContext>(Stamp), cancellationToken);
        }
        else
        {
            await bus.Publish(message, type, Pipe.Execute<PublishContext>(Stamp), cancellationToken);
        }
    }
}
