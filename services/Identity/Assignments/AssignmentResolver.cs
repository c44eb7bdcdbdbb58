using Dapper;
using Identity.Common;
using Identity.Roles;
using Platform.Data;

namespace Identity.Assignments;

/// <summary>One row of role_assignments.</summary>
public sealed record Assignment(string Type, string ActorId, string TargetId, string RoleId, bool Inherited)
{
    public bool IsUser => Type.StartsWith("User", StringComparison.Ordinal);
    public bool OnProject => Type.EndsWith("Project", StringComparison.Ordinal);
    public bool OnDomain => Type.EndsWith("Domain", StringComparison.Ordinal);
    public bool OnSystem => Type.EndsWith("System", StringComparison.Ordinal);
}

/// <summary>
/// Effective roles, as keystone computes them at token issue: a user's own assignments, those of
/// its groups, those inherited from the project's ancestors and domain, then every role the
/// implied-role rules add.
/// </summary>
public sealed class AssignmentResolver(IDbConnectionFactory db, RoleStore roles, IdentityChanges changes, CacheOptions options, TimeProvider time)
{
    public const string SystemTarget = "system";

    private readonly KeyedCache<string, IReadOnlyList<Assignment>> rowsOfUser = new(changes, options, time);
    private readonly KeyedCache<string, (List<string> Ancestors, string? DomainId)> lineage = new(changes, options, time);

    /// <summary>The project and its ancestors (nearest first) with the domain, for inherited rows.</summary>
    private Task<(List<string> Ancestors, string? DomainId)> LineageAsync(string projectId) => lineage.GetAsync(projectId, ReadLineageAsync);

    private async Task<(List<string> Ancestors, string? DomainId)> ReadLineageAsync(string projectId)
    {
        await using var c = await db.OpenAsync();
        var ancestors = new List<string>();
        string? domainId = null;
        var current = projectId;
        while (current is not null && ancestors.Count < 64)
        {
            var row = await c.QuerySingleOrDefaultAsync<(string? ParentId, string DomainId)?>(
                "SELECT parent_id, domain_id FROM projects WHERE id = @current", new { current });
            if (row is null) break;
            domainId = row.Value.DomainId;
            if (current != projectId) ancestors.Add(current);
            current = row.Value.ParentId;
        }
        return (ancestors, domainId);
    }

    /// <summary>The user's rows and its groups' rows, in one round trip.</summary>
    private Task<IReadOnlyList<Assignment>> RowsOfUserAsync(string userId) => rowsOfUser.GetAsync(userId, ReadRowsOfUserAsync);

    private async Task<IReadOnlyList<Assignment>> ReadRowsOfUserAsync(string userId)
    {
        await using var c = await db.OpenAsync();
        return [.. await c.QueryAsync<Assignment>("""
            SELECT type, actor_id, target_id, role_id, inherited FROM role_assignments
            WHERE actor_id = @userId OR actor_id IN (SELECT group_id FROM user_group_membership WHERE user_id = @userId)
            """, new { userId })];
    }

    public async Task<IReadOnlyList<Role>> RolesOnProjectAsync(string userId, string projectId)
    {
        var rows = await RowsOfUserAsync(userId);
        // Ancestors matter only for inherited rows; most users have none.
        var (ancestors, domainId) = rows.Any(r => r.Inherited) ? await LineageAsync(projectId) : ([], null);
        // Inherited rows on a project apply to its descendants, not to itself.
        var direct = rows.Where(r => r.OnProject && (r.Inherited ? ancestors.Contains(r.TargetId) : r.TargetId == projectId))
            .Concat(rows.Where(r => r.OnDomain && r.Inherited && r.TargetId == domainId));
        return await ExpandAsync(direct.Select(r => r.RoleId));
    }

    public async Task<IReadOnlyList<Role>> RolesOnDomainAsync(string userId, string domainId)
    {
        var rows = await RowsOfUserAsync(userId);
        return await ExpandAsync(rows.Where(r => r.OnDomain && !r.Inherited && r.TargetId == domainId).Select(r => r.RoleId));
    }

    public async Task<IReadOnlyList<Role>> RolesOnSystemAsync(string userId)
    {
        var rows = await RowsOfUserAsync(userId);
        return await ExpandAsync(rows.Where(r => r.OnSystem).Select(r => r.RoleId));
    }

    /// <summary>The roles and every role they imply, transitively.</summary>
    public async Task<IReadOnlyList<Role>> ExpandAsync(IEnumerable<string> roleIds)
    {
        var implies = await roles.ImpliesAsync();
        var all = new HashSet<string>();
        foreach (var id in roleIds)
        {
            all.Add(id);
            all.UnionWith(RolesApi.Reachable(implies, id));
        }
        if (all.Count == 0) return [];
        var byId = (await roles.AllAsync()).ToDictionary(r => r.Id);
        return [.. all.Where(byId.ContainsKey).Select(id => byId[id]).OrderBy(r => r.Name)];
    }

    /// <summary>Every project on which the user holds some role, however it came.</summary>
    public async Task<IReadOnlyList<string>> ProjectsOfUserAsync(string userId)
    {
        var rows = await RowsOfUserAsync(userId);
        await using var c = await db.OpenAsync();
        var projects = (await c.QueryAsync<(string Id, string? ParentId, string DomainId)>("SELECT id, parent_id, domain_id FROM projects")).ToList();
        var result = new HashSet<string>();
        foreach (var row in rows)
        {
            if (row.OnProject && !row.Inherited) result.Add(row.TargetId);
            else if (row.OnProject && row.Inherited) result.UnionWith(Subtree(projects, row.TargetId));
            else if (row.OnDomain && row.Inherited) result.UnionWith(projects.Where(p => p.DomainId == row.TargetId).Select(p => p.Id));
        }
        return [.. result];
    }

    public async Task<IReadOnlyList<string>> DomainsOfUserAsync(string userId)
    {
        var rows = await RowsOfUserAsync(userId);
        return [.. rows.Where(r => r.OnDomain && !r.Inherited).Select(r => r.TargetId).Distinct()];
    }

    /// <summary>The descendants of a project (not the project itself).</summary>
    public static IEnumerable<string> Subtree(IReadOnlyList<(string Id, string? ParentId, string DomainId)> projects, string root)
    {
        var children = projects.ToLookup(p => p.ParentId ?? "", p => p.Id);
        var stack = new Stack<string>(children[root]);
        while (stack.TryPop(out var id))
        {
            yield return id;
            foreach (var child in children[id]) stack.Push(child);
        }
    }
}
