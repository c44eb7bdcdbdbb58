using Dapper;
using MySqlConnector;
using Testcontainers.MySql;

using Xunit;

namespace Platform.TestSupport;

/// <summary>
/// A MySQL/MariaDB server for tests: <c>PLATFORM_TEST_MYSQL</c> (a connection string for a user
/// that may create databases) when set, else a Testcontainers server. Each test class makes its
/// own databases, so tests never see each other's rows; they are dropped at the end.
/// </summary>
public sealed class MySqlFixture : IAsyncLifetime
{
    public const string Variable = "PLATFORM_TEST_MYSQL";

    private readonly List<string> created = [];
    private MySqlContainer? container;
    private string serverConnection = "";

    public async Task InitializeAsync()
    {
        var configured = Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrEmpty(configured))
        {
            serverConnection = configured;
            return;
        }
        if (!Docker.IsReachable()) throw Docker.NoServer("MySQL server", Variable);
        container = new MySqlBuilder("mariadb:10.11").WithUsername("root").WithPassword("platform").Build();
        await container.StartAsync();
        serverConnection = new MySqlConnectionStringBuilder(container.GetConnectionString()) { Database = "" }.ConnectionString;
    }

    /// <summary>A connection string to a fresh, empty database name (not yet created).</summary>
    public string NewDatabase(string hint = "t")
    {
        var name = $"{hint}_{Guid.NewGuid():N}"[..Math.Min(hint.Length + 13, 64)].ToLowerInvariant();
        lock (created) created.Add(name);
        return new MySqlConnectionStringBuilder(serverConnection) { Database = name }.ConnectionString;
    }

    /// <summary>A connection string to the server itself, for queries across databases.</summary>
    public string ServerConnection => serverConnection;

    public async Task DisposeAsync()
    {
        if (serverConnection.Length > 0)
        {
            await using var connection = new MySqlConnection(serverConnection);
            await connection.OpenAsync();
            foreach (var name in created)
                await connection.ExecuteAsync($"DROP DATABASE IF EXISTS `{name}`");
        }
        if (container is not null) await container.DisposeAsync();
    }
}
