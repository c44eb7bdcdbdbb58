using Dapper;
using Platform.Data;

namespace Identity.Projects;

public sealed record Project(string Id, string DomainId, string? ParentId, string Name, string? Description, bool Enabled)
{
    public IReadOnlyList<string> Tags { get; init; } = [];
}

public sealed class ProjectStore(IDbConnectionFactory db)
{
    private const string Columns = "id, domain_id, parent_id, name, description, enabled";

    public async Task<Project?> GetAsync(string id)
    {
        await using var c = await db.OpenAsync();
        var project = await c.QuerySingleOrDefaultAsync<Project>($"SELECT {Columns} FROM projects WHERE id = @id", new { id });
        return project is null ? null : project with { Tags = [.. await c.QueryAsync<string>("SELECT tag FROM project_tags WHERE project_id = @id ORDER BY tag", new { id })] };
    }

    public async Task<Project?> FindByNameAsync(string name, string domainId)
    {
        await using var c = await db.OpenAsync();
        var id = await c.ExecuteScalarAsync<string?>("SELECT id FROM projects WHERE name = @name AND domain_id = @domainId", new { name, domainId });
        return id is null ? null : await GetAsync(id);
    }

    public async Task<IReadOnlyList<Project>> ListAsync(string? name = null, string? domainId = null, string? parentId = null, bool? enabled = null,
        IReadOnlyCollection<string>? ids = null, string? tag = null)
    {
        if (ids is { Count: 0 }) return [];
        await using var c = await db.OpenAsync();
        var sql = $"""
            SELECT {Columns} FROM projects
            WHERE (@name IS NULL OR name = @name) AND (@domainId IS NULL OR domain_id = @domainId)
              AND (@parentId IS NULL OR parent_id = @parentId OR (parent_id IS NULL AND domain_id = @parentId))
              AND (@enabled IS NULL OR enabled = @enabled)
              AND (@tag IS NULL OR id IN (SELECT project_id FROM project_tags WHERE tag = @tag))
              {(ids is null ? "" : "AND id IN @ids")}
            ORDER BY name
            """;
        var projects = (await c.QueryAsync<Project>(sql, new { name, domainId, parentId, enabled, tag, ids })).ToList();
        var tags = (await c.QueryAsync<(string ProjectId, string Tag)>("SELECT project_id, tag FROM project_tags WHERE project_id IN @ids ORDER BY tag",
            new { ids = projects.Select(p => p.Id).DefaultIfEmpty("").ToList() })).ToLookup(t => t.ProjectId, t => t.Tag);
        return [.. projects.Select(p => p with { Tags = [.. tags[p.Id]] })];
    }

    /// <summary>The project and its ancestors, nearest first (for inherited assignments).</summary>
    public async Task<IReadOnlyList<Project>> LineageAsync(string id)
    {
        var chain = new List<Project>();
        var current = await GetAsync(id);
        while (current is not null && chain.Count < 64)
        {
            chain.Add(current);
            current = current.ParentId is null ? null : await GetAsync(current.ParentId);
        }
        return chain;
    }
}
