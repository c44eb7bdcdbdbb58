using Dapper;
using Platform.Data;

namespace Identity.Users;

// Dapper builds it through this constructor: its parameters follow the SELECT's column order.
public sealed record User(string Id, string DomainId, string Name, bool Enabled, string? Email, string? Description, string? DefaultProjectId,
    string? PasswordHash = null, int FailedAuthCount = 0, DateTime? FailedAuthAt = null);

public sealed class UserStore(IDbConnectionFactory db)
{
    private const string Columns = "id, domain_id, name, enabled, email, description, default_project_id, password_hash, failed_auth_count, failed_auth_at";

    public async Task<User?> GetAsync(string id)
    {
        await using var c = await db.OpenAsync();
        return await c.QuerySingleOrDefaultAsync<User>($"SELECT {Columns} FROM users WHERE id = @id", new { id });
    }

    public async Task<User?> FindByNameAsync(string name, string domainId)
    {
        await using var c = await db.OpenAsync();
        return await c.QuerySingleOrDefaultAsync<User>($"SELECT {Columns} FROM users WHERE name = @name AND domain_id = @domainId", new { name, domainId });
    }

    public async Task<IReadOnlyList<User>> ListAsync(string? name, string? domainId, bool? enabled, string? groupId = null)
    {
        await using var c = await db.OpenAsync();
        return [.. await c.QueryAsync<User>($"""
            SELECT {Columns} FROM users
            WHERE (@name IS NULL OR name = @name) AND (@domainId IS NULL OR domain_id = @domainId) AND (@enabled IS NULL OR enabled = @enabled)
              AND (@groupId IS NULL OR id IN (SELECT user_id FROM user_group_membership WHERE group_id = @groupId))
            ORDER BY name
            """, new { name, domainId, enabled, groupId })];
    }
}
