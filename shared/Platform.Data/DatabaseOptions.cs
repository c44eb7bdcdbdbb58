using MySqlConnector;

namespace Platform.Data;

/// <summary>
/// Reads <c>[database] connection</c>: an ADO.NET connection string, or the URL form operators
/// know from oslo.db (<c>mysql+pymysql://user:pass@host:3306/nova</c>).
/// </summary>
public static class DatabaseOptions
{
    public const string ConnectionKey = "database:connection";

    public static MySqlConnectionStringBuilder Parse(string connection)
    {
        if (!connection.Contains("://", StringComparison.Ordinal))
            return new MySqlConnectionStringBuilder(connection);

        var uri = new Uri(connection);
        if (!uri.Scheme.StartsWith("mysql", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"unsupported database scheme '{uri.Scheme}': only MySQL/MariaDB is supported");
        var builder = new MySqlConnectionStringBuilder
        {
            Server = uri.Host,
            Port = uri.Port > 0 ? (uint)uri.Port : 3306,
            Database = uri.AbsolutePath.Trim('/'),
        };
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            var parts = uri.UserInfo.Split(':', 2);
            builder.UserID = Uri.UnescapeDataString(parts[0]);
            if (parts.Length > 1) builder.Password = Uri.UnescapeDataString(parts[1]);
        }
        return builder;
    }
}
