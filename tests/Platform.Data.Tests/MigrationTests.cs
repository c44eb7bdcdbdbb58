using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using MySqlConnector;
using Platform.Data;
using Platform.TestSupport;

namespace Platform.Data.Tests;

public sealed class MigrationTests(MySqlFixture mysql) : IClassFixture<MySqlFixture>
{
    private static readonly System.Reflection.Assembly self = typeof(MigrationTests).Assembly;

    private static MigrationRunner Runner(string connection, string component, string folder) =>
        new(new MySqlConnectionFactory(new MySqlConnectionStringBuilder(connection)),
            [new MigrationSource(component, self, $"Platform.Data.Tests.Migrations.{folder}.")],
            NullLogger<MigrationRunner>.Instance);

    private static async Task<List<string>> TablesAsync(string connection)
    {
        await using var c = new MySqlConnection(connection);
        await c.OpenAsync();
        return [.. await c.QueryAsync<string>("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY table_name")];
    }

    [Fact]
    public async Task Db_sync_creates_the_database_and_is_idempotent()
    {
        var db = mysql.NewDatabase("alpha");
        var runner = Runner(db, "alpha", "Alpha");

        var first = await runner.SyncAsync();
        Assert.Equal([1, 2], first.Select(m => m.Version));
        var applied = await runner.AppliedAsync();

        var second = await runner.SyncAsync();
        Assert.Empty(second);
        Assert.Equal(applied, await runner.AppliedAsync());
        Assert.Equal(["alpha_items", "alpha_notes", "schema_migrations"], await TablesAsync(db));
    }

    [Fact]
    public async Task Concurrent_db_syncs_apply_each_migration_once()
    {
        var db = mysql.NewDatabase("race");
        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Runner(db, "alpha", "Alpha").SyncAsync()));
        Assert.Equal(2, results.Sum(r => r.Count));
        Assert.Equal(2, (await Runner(db, "alpha", "Alpha").AppliedAsync()).Count);
    }

    [Fact]
    public async Task Two_services_get_separate_databases()
    {
        var alpha = mysql.NewDatabase("alpha");
        var beta = mysql.NewDatabase("beta");
        await Runner(alpha, "alpha", "Alpha").SyncAsync();
        await Runner(beta, "beta", "Beta").SyncAsync();

        Assert.Equal(["alpha_items", "alpha_notes", "schema_migrations"], await TablesAsync(alpha));
        Assert.Equal(["beta_things", "schema_migrations"], await TablesAsync(beta));
        Assert.All(await Runner(beta, "beta", "Beta").AppliedAsync(), m => Assert.Equal("beta", m.Component));
    }

    [Fact]
    public void The_oslo_url_form_of_the_connection_is_understood()
    {
        var b = DatabaseOptions.Parse("mysql+pymysql://nova:s%40cret@db.example:3307/nova?charset=utf8");
        Assert.Equal(("db.example", 3307u, "nova", "nova", "s@cret"), (b.Server, b.Port, b.Database, b.UserID, b.Password));
        Assert.Throws<ArgumentException>(() => DatabaseOptions.Parse("postgresql://x@y/z"));
    }
}
