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

    /// <summary>
    /// A second connection beside <paramref name="transaction"/>'s, for one short read that must see
    /// what others committed since the transaction began. It comes from a pool of its own: taken
    /// from the service's pool, many requests each holding a connection while waiting for a
    /// second would starve the pool and stall one another until the connect timeout.
    /// </summary>
    public static async Task<MySqlConnection> OpenSideConnectionAsync(this DbTransaction transaction, CancellationToken cancellationToken = default)
    {
        var main = (MySqlConnection)transaction.Connection!;
        var side = main.CloneWith(new MySqlConnectionStringBuilder(main.ConnectionString) { ApplicationName = "side-reads" }.ConnectionString);
        try
        {
            await side.OpenAsync(cancellationToken);
            return side;
        }
        catch
        {
            await side.DisposeAsync();
            throw;
        }
    }
}
