using System.Reflection;
using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Platform.Hosting;

namespace Platform.Data;

public static class DataExtensions
{
    /// <summary>
    /// The service's own database: a connection factory from <c>[database] connection</c>, its
    /// migrations (embedded <c>Migrations/NNNN_name.sql</c> of <paramref name="migrations"/>),
    /// the <c>db sync</c> and <c>db version</c> commands and a readiness check.
    /// </summary>
    public static IHostApplicationBuilder AddDatabase(this IHostApplicationBuilder builder, Assembly migrations)
    {
        var service = builder.Services.Single(d => d.ServiceType == typeof(ServiceDescription)).ImplementationInstance as ServiceDescription
            ?? throw new InvalidOperationException("AddServiceDefaults must come before AddDatabase");
        builder.Services.AddSingleton(_ =>
        {
            var connection = builder.Configuration[DatabaseOptions.ConnectionKey]
                ?? throw new InvalidOperationException($"[database] connection is not configured for {service.Name}");
            return new MySqlConnectionFactory(DatabaseOptions.Parse(connection));
        });
        builder.Services.AddSingleton<IDbConnectionFactory>(sp => sp.GetRequiredService<MySqlConnectionFactory>());
        builder.Services.AddSingleton(new MigrationSource(service.Name, migrations));
        builder.Services.AddSingleton<MigrationRunner>();
        builder.Services.AddSingleton<IServiceCommand, DbSyncCommand>();
        builder.Services.AddSingleton<IServiceCommand, DbVersionCommand>();
        builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: [ServiceDefaults.ReadyTag]);
        DefaultTypeMap.MatchNamesWithUnderscores = true;
        return builder;
    }
}

internal sealed class DatabaseHealthCheck(IDbConnectionFactory factory) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = await factory.OpenAsync(cancellationToken);
            await connection.ExecuteScalarAsync<int>(new CommandDefinition("SELECT 1", cancellationToken: cancellationToken));
            return HealthCheckResult.Healthy(factory.DatabaseName);
        }
        catch (Exception e)
        {
            return HealthCheckResult.Unhealthy($"database {factory.DatabaseName}: {e.Message}");
        }
    }
}

internal sealed class DbSyncCommand : IServiceCommand
{
    public IReadOnlyList<string> Words => ["db", "sync"];
    public string Help => "create the database if needed and apply every pending migration";

    public async Task<int> RunAsync(IServiceProvider services, IReadOnlyList<string> rest, CancellationToken cancellationToken)
    {
        var runner = services.GetRequiredService<MigrationRunner>();
        var logger = services.GetRequiredService<ILogger<DbSyncCommand>>();
        var applied = await runner.SyncAsync(cancellationToken);
        logger.LogInformation("db sync applied {Count} migration(s)", applied.Count);
        return 0;
    }
}

internal sealed class DbVersionCommand : IServiceCommand
{
    public IReadOnlyList<string> Words => ["db", "version"];
    public string Help => "print the migrations applied to the database";

    public async Task<int> RunAsync(IServiceProvider services, IReadOnlyList<string> rest, CancellationToken cancellationToken)
    {
        foreach (var m in await services.GetRequiredService<MigrationRunner>().AppliedAsync(cancellationToken))
            Console.WriteLine($"{m.Component} {m.Version:D4}_{m.Name} {m.AppliedAt:O}");
        return 0;
    }
}
