using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Extensions.Logging;
using MySqlConnector;

namespace Platform.Data;

/// <summary>One numbered SQL file: <c>Migrations/0001_initial.sql</c>, embedded in its assembly.</summary>
public sealed record Migration(string Component, int Version, string Name, string Sql)
{
    public string Checksum { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql)));
}

/// <summary>
/// A set of migrations owned by one component: the service itself, or a shared library that
/// keeps tables in the service's database (the outbox).
/// </summary>
/// <param name="Prefix">Only resources whose name starts with this (default: all of the assembly's).</param>
public sealed partial record MigrationSource(string Component, Assembly Assembly, string? Prefix = null)
{
    [GeneratedRegex(@"\.Migrations\.(?:[A-Za-z0-9_]+\.)*(?<version>\d{4})_(?<name>[A-Za-z0-9_]+)\.sql$")]
    private static partial Regex ResourcePattern();

    public IReadOnlyList<Migration> Load()
    {
        var migrations = new List<Migration>();
        foreach (var resource in Assembly.GetManifestResourceNames())
        {
            var match = ResourcePattern().Match(resource);
            if (!match.Success || (Prefix is not null && !resource.StartsWith(Prefix, StringComparison.Ordinal))) continue;
            using var stream = Assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            migrations.Add(new Migration(Component, int.Parse(match.Groups["version"].Value), match.Groups["name"].Value, reader.ReadToEnd()));
        }
        var duplicate = migrations.GroupBy(m => m.Version).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new InvalidOperationException($"{Component}: two migrations share version {duplicate.Key}");
        return [.. migrations.OrderBy(m => m.Version)];
    }
}

/// <summary>An applied migration as recorded in <c>schema_migrations</c>.</summary>
public sealed record AppliedMigration(string Component, int Version, string Name, string Checksum, DateTime AppliedAt);

/// <summary>
/// Applies the numbered migrations that are not yet recorded, in order, under a database-wide
/// lock so two `db sync` runs (two pods starting) never apply one file twice.
/// </summary>
public sealed class MigrationRunner(MySqlConnectionFactory factory, IEnumerable<MigrationSource> sources, ILogger<MigrationRunner> logger)
{
    private const string LockName = "platform.schema_migrations";

    public async Task<IReadOnlyList<Migration>> SyncAsync(CancellationToken cancellationToken = default)
    {
        await EnsureDatabaseAsync(cancellationToken);
        await using var connection = await factory.OpenAsync(cancellationToken);
        var locked = await connection.ExecuteScalarAsync<long?>("SELECT GET_LOCK(@LockName, 120)", new { LockName });
        if (locked != 1)
            throw new TimeoutException("another db sync holds the schema lock");
        try
        {
            await connection.ExecuteAsync("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    component VARCHAR(64) NOT NULL,
                    version INT NOT NULL,
                    name VARCHAR(255) NOT NULL,
                    checksum CHAR(64) NOT NULL,
                    applied_at DATETIME(6) NOT NULL,
                    PRIMARY KEY (component, version)
                ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
                """);
            var applied = (await connection.QueryAsync<AppliedMigration>(
                    "SELECT component, version, name, checksum, applied_at AS AppliedAt FROM schema_migrations"))
                .ToDictionary(a => (a.Component, a.Version));

            var done = new List<Migration>();
            foreach (var migration in sources.SelectMany(s => s.Load()))
            {
                if (applied.TryGetValue((migration.Component, migration.Version), out var existing))
                {
                    if (existing.Checksum != migration.Checksum)
                        logger.LogWarning("migration {Component} {Version:D4}_{Name} changed after it was applied", migration.Component, migration.Version, migration.Name);
                    continue;
                }
                logger.LogInformation("applying migration {Component} {Version:D4}_{Name} to {Database}", migration.Component, migration.Version, migration.Name, factory.DatabaseName);
                // MySQL commits DDL implicitly, so a migration is not atomic: keep each file to
                // statements that are safe to re-run (IF NOT EXISTS) when one fails half way.
                await connection.ExecuteAsync(new CommandDefinition(migration.Sql, cancellationToken: cancellationToken));
                await connection.ExecuteAsync(
                    "INSERT INTO schema_migrations (component, version, name, checksum, applied_at) VALUES (@Component, @Version, @Name, @Checksum, UTC_TIMESTAMP(6))",
                    new { migration.Component, migration.Version, migration.Name, migration.Checksum });
                done.Add(migration);
            }
            return done;
        }
        finally
        {
            await connection.ExecuteAsync("SELECT RELEASE_LOCK(@LockName)", new { LockName });
        }
    }

    public async Task<IReadOnlyList<AppliedMigration>> AppliedAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await factory.OpenAsync(cancellationToken);
        var exists = await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'schema_migrations'");
        if (exists == 0) return [];
        return [.. await connection.QueryAsync<AppliedMigration>(
            "SELECT component, version, name, checksum, applied_at AS AppliedAt FROM schema_migrations ORDER BY component, version")];
    }

    private async Task EnsureDatabaseAsync(CancellationToken cancellationToken)
    {
        await using var server = await factory.OpenServerAsync(cancellationToken);
        var exists = await server.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = @Name", new { Name = factory.DatabaseName });
        if (exists > 0) return;
        logger.LogInformation("creating database {Database}", factory.DatabaseName);
        await server.ExecuteAsync($"CREATE DATABASE IF NOT EXISTS `{factory.DatabaseName.Replace("`", "``", StringComparison.Ordinal)}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
    }
}
