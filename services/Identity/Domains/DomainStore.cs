using System.Data.Common;
using Dapper;
using Platform.Data;

namespace Identity.Domains;

public sealed record Domain(string Id, string Name, string? Description, bool Enabled);

public sealed class DomainStore(IDbConnectionFactory db)
{
    private const string Columns = "id, name, description, enabled";

    public async Task<Domain?> GetAsync(string id)
    {
        await using var c = await db.OpenAsync();
        return await c.QuerySingleOrDefaultAsync<Domain>($"SELECT {Columns} FROM domains WHERE id = @id", new { id });
    }

    public async Task<Domain?> FindByNameAsync(string name)
    {
        await using var c = await db.OpenAsync();
        return await c.QuerySingleOrDefaultAsync<Domain>($"SELECT {Columns} FROM domains WHERE name = @name", new { name });
    }

    public async Task<IReadOnlyList<Domain>> ListAsync(string? name, bool? enabled)
    {
        await using var c = await db.OpenAsync();
        return [.. await c.QueryAsync<Domain>(
            $"SELECT {Columns} FROM domains WHERE (@name IS NULL OR name = @name) AND (@enabled IS NULL OR enabled = @enabled) ORDER BY name",
            new { name, enabled })];
    }

    public static Task InsertAsync(DbTransaction tx, Domain d) =>
        tx.Connection!.ExecuteAsync(
            "INSERT INTO domains (id, name, description, enabled, created_at) VALUES (@Id, @Name, @Description, @Enabled, UTC_TIMESTAMP(6))", d, tx);

    public static Task UpdateAsync(DbTransaction tx, Domain d) =>
        tx.Connection!.ExecuteAsync("UPDATE domains SET name = @Name, description = @Description, enabled = @Enabled WHERE id = @Id", d, tx);
}
