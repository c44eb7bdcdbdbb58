using System.Data.Common;
using MySqlConnector;

namespace Platform.Data;

/// <summary>Opens connections to the service's own database. One per unit of work; pooled.</summary>
public interface IDbConnectionFactory
{
    /// <summary>The database this service owns.</summary>
    string DatabaseName { get; }

    Task<MySqlConnection> OpenAsync(CancellationToken cancellationToken = default);
}

public sealed class MySqlConnectionFactory : IDbConnectionFactory
{
    private readonly string connectionString;

    public MySqlConnectionFactory(MySqlConnectionStringBuilder builder)
    {
        if (string.IsNullOrEmpty(builder.Database))
            throw new ArgumentException("the database connection names no database");
        DatabaseName = builder.Database;
        connectionString = builder.ConnectionString;
    }

    public string DatabaseName { get; }

    public async Task<MySqlConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        var connection = new MySqlConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>A connection to the server with no default database, for CREATE DATABASE.</summary>
    internal async Task<MySqlConnection> OpenServerAsync(CancellationToken cancellationToken)
    {
        var builder = new MySqlConnectionStringBuilder(connectionString) { Database = "" };
        var connection = new MySqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }
}

public static class DbConnectionExtensions
{
    /// <summary>True for MySQL's duplicate-key error, the signal that a unique claim was lost.</summary>
    public static bool IsDuplicateKey(this DbException e) => e is MySqlException { ErrorCode: MySqlErrorCode.DuplicateKeyEntry };
}
