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
    private static Task<IHost> StartSenderAsync(string url, string db, bool dispatch) =>
        TestBus.StartAsync(url, "sender", more: b =>
        {
            b.Services.AddSingleton(new ServiceDescription("sender", 0, ApiFlavor.None));
            b.AddDatabase(typeof(OutboxTests).Assembly);
            b.AddOutbox();
        }, settings: new Dictionary<string, string?>
        {
            [DatabaseOptions.ConnectionKey] = db,
            ["messaging:outbox_dispatch"] = dispatch ? "true" : "false",
            ["messaging:outbox_poll_interval_ms"] = "100",
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
}
