using System.Collections.Concurrent;
using System.Diagnostics;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MySqlConnector;
using Platform.Context;
using Platform.Data;
using Platform.Hosting;
using Platform.Messaging.Outbox;
using Platform.TestSupport;

namespace Platform.Messaging.Tests;

public sealed class OutboxTests(RabbitMqFixture rabbit, MySqlFixture mysql) : IClassFixture<RabbitMqFixture>, IClassFixture<MySqlFixture>
{
    private static Task<IHost> StartSenderAsync(string url, string db, bool dispatch, int pollMs = 100) =>
        TestBus.StartAsync(url, "sender", more: b =>
        {
            b.Services.AddSingleton(new ServiceDescription("sender", 0, ApiFlavor.None));
            b.AddDatabase(typeof(OutboxTests).Assembly);
            b.AddOutbox();
        }, settings: new Dictionary<string, string?>
        {
            [DatabaseOptions.ConnectionKey] = db,
            ["messaging:outbox_dispatch"] = dispatch ? "true" : "false",
            ["messaging:outbox_poll_interval_ms"] = pollMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });

    private static async Task ChangeAsync(IHost sender, string name, bool commit, Func<IOutbox, MySqlTransaction, Task> send)
    {
        var factory = sender.Services.GetRequiredService<IDbConnectionFactory>();
        await using var connection = await factory.OpenAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync("INSERT INTO changes (name) VALUES (@name)", new { name }, tx);
        await send(sender.Services.GetRequiredService<IOutbox>(), tx);
        if (commit) await tx.CommitAsync();
        else await tx.RollbackAsync();
    }

    private static async Task<long> CountAsync(string db, string sql)
    {
        await using var c = new MySqlConnection(db);
        return await c.ExecuteScalarAsync<long>(sql);
    }

    [Fact]
    public async Task A_committed_message_survives_a_sender_restart_and_a_rolled_back_one_never_leaves()
    {
        var url = await rabbit.NewVirtualHostAsync("outbox");
        var db = mysql.NewDatabase("outbox");
        var receiver = await TestBus.StartAsync(url, "receiver", b =>
        {
            b.Queue("conductor", e => e.Consumer<RecordingConsumer>());
            b.Fanout("agent", e => e.Consumer<RecordingConsumer>());
        });

        // First life of the sender: it commits, then "crashes" before its dispatcher delivers.
        var first = await StartSenderAsync(url, db, dispatch: false);
        await first.Services.GetRequiredService<MigrationRunner>().SyncAsync();
        await using (var c = new MySqlConnection(db))
            await c.ExecuteAsync("CREATE TABLE changes (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(32) NOT NULL)");

        RequestContextAccessor.Current = new RequestContext { UserId = "u-outbox", ProjectId = "p-outbox" };
        await ChangeAsync(first, "rolled-back", commit: false, (o, tx) => o.CastAsync(tx, "conductor", new WorkItem(-1)));
        await ChangeAsync(first, "committed", commit: true, (o, tx) => o.CastAsync(tx, "conductor", new WorkItem(42)));
        await ChangeAsync(first, "announced", commit: true, (o, tx) => o.FanoutAsync(tx, new Announcement("after commit")));
        RequestContextAccessor.Current = null;
        await first.StopQuietlyAsync();

        Assert.Equal(2, await CountAsync(db, "SELECT COUNT(*) FROM outbox_messages"));
        Assert.True(receiver.Received().Messages.IsEmpty);

        // Second life: the restarted sender delivers what was committed.
        var second = await StartSenderAsync(url, db, dispatch: true);
        try
        {
            Assert.True(await Eventually.TrueAsync(() => receiver.Received().Messages.Count >= 2, TimeSpan.FromSeconds(30)));
            Assert.True(await Eventually.TrueAsync(async () => await CountAsync(db, "SELECT COUNT(*) FROM outbox_messages") == 0, TimeSpan.FromSeconds(10)));

            var messages = receiver.Received().Messages.ToList();
            Assert.Equal(2, messages.Count);
            Assert.Contains(new WorkItem(42), messages);
            Assert.Contains(new Announcement("after commit"), messages);
            Assert.DoesNotContain(new WorkItem(-1), messages);
            // The context of the request that wrote the change is carried by its message.
            Assert.All(receiver.Received().Contexts, c => Assert.Equal("u-outbox", c?.UserId));
            Assert.Equal(2, await CountAsync(db, "SELECT COUNT(*) FROM changes"));
        }
        finally
        {
            await second.StopQuietlyAsync();
            await receiver.StopQuietlyAsync();
        }
    }

    [Fact]
    public async Task A_transaction_committed_through_the_outbox_sends_its_messages_at_once_and_its_rows_go()
    {
        var url = await rabbit.NewVirtualHostAsync("outbox-now");
        var db = mysql.NewDatabase("outboxnow");
        var receiver = await TestBus.StartAsync(url, "receiver", b => b.Queue("conductor", e => e.Consumer<RecordingConsumer>()));
        // The dispatcher looks once at start and then not for a minute: whatever arrives sooner was sent at commit.
        var sender = await StartSenderAsync(url, db, dispatch: true, pollMs: 60_000);
        try
        {
            await sender.Services.GetRequiredService<MigrationRunner>().SyncAsync();
            await using (var c = new MySqlConnection(db))
                await c.ExecuteAsync("CREATE TABLE changes (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(32) NOT NULL)");
            var outbox = sender.Services.GetRequiredService<IOutbox>();
            await using (var connection = await sender.Services.GetRequiredService<IDbConnectionFactory>().OpenAsync())
            {
                await using var tx = await connection.BeginTransactionAsync();
                await connection.ExecuteAsync("INSERT INTO changes (name) VALUES ('now')", transaction: tx);
                foreach (var n in new[] { 1, 2, 3 }) await outbox.CastAsync(tx, "conductor", new WorkItem(n));
                await outbox.CommitAsync(tx);

                // Written and rolled back: never sent, and its row never kept.
                await using var undone = await connection.BeginTransactionAsync();
                await outbox.CastAsync(undone, "conductor", new WorkItem(-1));
                await undone.RollbackAsync();
            }

            Assert.True(await Eventually.TrueAsync(() => receiver.Received().Messages.Count >= 3, TimeSpan.FromSeconds(20)));
            Assert.Equal([1, 2, 3], receiver.Received().Messages.Cast<WorkItem>().Select(w => w.Number).Order());
            Assert.True(await Eventually.TrueAsync(async () => await CountAsync(db, "SELECT COUNT(*) FROM outbox_messages") == 0, TimeSpan.FromSeconds(20)));
            await Task.Delay(500);
            Assert.Equal(3, receiver.Received().Messages.Count);
        }
        finally
        {
            await sender.StopQuietlyAsync();
            await receiver.StopQuietlyAsync();
        }
    }

    [Fact]
    public async Task A_message_written_inside_a_trace_is_consumed_in_that_trace()
    {
        // What OpenTelemetry does in a deployable: listen to MassTransit's spans and the project's.
        var finished = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is "MassTransit" or MessagingActivities.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = finished.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        var url = await rabbit.NewVirtualHostAsync("outbox-trace");
        var db = mysql.NewDatabase("outboxtrace");
        var receiver = await TestBus.StartAsync(url, "receiver", b =>
        {
            b.Queue("conductor", e => e.Consumer<RecordingConsumer>());
            b.Fanout("agent", e => e.Consumer<RecordingConsumer>());
        });
        var sender = await StartSenderAsync(url, db, dispatch: true);
        try
        {
            await sender.Services.GetRequiredService<MigrationRunner>().SyncAsync();
            await using (var c = new MySqlConnection(db))
                await c.ExecuteAsync("CREATE TABLE changes (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(32) NOT NULL)");

            // The request that writes the changes; it has ended by the time the dispatcher sends.
            var request = new Activity("POST /v2.1/servers").SetIdFormat(ActivityIdFormat.W3C).Start();
            RequestContextAccessor.Current = new RequestContext { UserId = "u-trace" };
            await ChangeAsync(sender, "cast", commit: true, (o, tx) => o.CastAsync(tx, "conductor", new WorkItem(7)));
            await ChangeAsync(sender, "fanout", commit: true, (o, tx) => o.FanoutAsync(tx, new Announcement("traced")));
            request.Stop();
            RequestContextAccessor.Current = null;
            // And one written outside any trace, which starts a trace of its own.
            await ChangeAsync(sender, "untraced", commit: true, (o, tx) => o.CastAsync(tx, "conductor", new WorkItem(8)));
            sender.Services.GetRequiredService<IOutbox>().Notify();

            Assert.True(await Eventually.TrueAsync(() => receiver.Received().Spans.Count >= 3, TimeSpan.FromSeconds(30)));
            var spans = receiver.Received().Spans.ToDictionary(s => s.Message, s => s.Span);
            Assert.Equal(3, spans.Count);

            var cast = Assert.IsType<Activity>(spans[new WorkItem(7)]);
            var fanout = Assert.IsType<Activity>(spans[new Announcement("traced")]);
            Assert.Equal(request.TraceId, cast.TraceId);
            Assert.Equal(request.TraceId, fanout.TraceId);
            Assert.NotEqual(request.TraceId, spans[new WorkItem(8)]?.TraceId);

            // Each consumer's span descends, through MassTransit's send and receive, from the
            // dispatch span, whose parent is the request's span.
            foreach (var consumed in new[] { cast, fanout })
            {
                List<Activity> chain = [];
                Assert.True(await Eventually.TrueAsync(() =>
                {
                    chain = Ancestors(consumed, finished);
                    return chain.Count > 0 && chain[^1].ParentSpanId == request.SpanId;
                }, TimeSpan.FromSeconds(10)), $"no chain from {consumed.OperationName} to the request: {string.Join(" <- ", chain.Select(a => a.OperationName))}");
                Assert.Equal("outbox dispatch", chain[^1].OperationName);
                Assert.Equal(MessagingActivities.SourceName, chain[^1].Source.Name);
                Assert.Contains(chain, a => a.Kind == ActivityKind.Producer);
            }
        }
        finally
        {
            await sender.StopQuietlyAsync();
            await receiver.StopQuietlyAsync();
        }
    }

    /// <summary>The finished spans above <paramref name="span"/> in its trace, nearest first.</summary>
    private static List<Activity> Ancestors(Activity span, IEnumerable<Activity> finished)
    {
        var bySpan = finished.Where(a => a.TraceId == span.TraceId).GroupBy(a => a.SpanId).ToDictionary(g => g.Key, g => g.First());
        var chain = new List<Activity>();
        for (var parent = span.ParentSpanId; bySpan.TryGetValue(parent, out var next) && chain.Count < 20; parent = next.ParentSpanId)
            chain.Add(next);
        return chain;
    }
}
