using Dapper;
using Identity.Common;
using Identity.Roles;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Platform.Data;

namespace Identity.Assignments;

/// <summary>
/// <c>GET /v3/role_assignments</c> with keystone's filters. <c>effective</c> answers what tokens
/// would carry: group rows become their members' rows, inherited rows land on the projects they
/// reach, and implied roles are added.
/// </summary>
public static class RoleAssignmentsApi
{
    private sealed record Row(string Type, string ActorId, string TargetId, string RoleId, bool Inherited, string? ViaGroup = null, string? PriorRole = null, string? InheritedFrom = null)
    {
        public bool IsUser => Type.StartsWith("User", StringComparison.Ordinal) || ViaGroup is not null;
        public string Scope => Type.EndsWith("Project", StringComparison.Ordinal) ? "project" : Type.EndsWith("Domain", StringComparison.Ordinal) ? "domain" : "system";
    }

    private sealed record Named(string Name, string? DomainId);

    public static void MapRoleAssignments(this IEndpointRouteBuilder v3) => v3.MapGet("/role_assignments", ListAsync);

    private static async Task<IResult> ListAsync(HttpContext http, IDbConnectionFactory db, RoleStore roles, Authz authz)
    {
        var q = http.Request.Query;
        string? Q(string key) => q.TryGetValue(key, out var v) ? v.ToString() : null;
        bool Flag(string key) => q.ContainsKey(key) && Q(key) is "" or "true" or "True" or "1";
        var userId = Q("user.id");
        var groupId = Q("group.id");
        var roleId = Q("role.id");
        var projectId = Q("scope.project.id");
        var domainId = Q("scope.domain.id");
        var system = Q("scope.system");
        var inheritedTo = Q("scope.OS-INHERIT:inherited_to");
        var effective = Flag("effective");
        var includeNames = Flag("include_names");
        var includeSubtree = Flag("include_subtree");
        if (effective && groupId is not null)
            throw KeystoneErrors.Validation("Combining effective and group filter will always result in an empty list.");
        if (new[] { projectId, domainId, system }.Count(s => s is not null) > 1)
            throw KeystoneErrors.Validation("Specify at most one of scope.project.id, scope.domain.id and scope.system.");

        await using var c = await db.OpenAsync();
        var projects = (await c.QueryAsync<(string Id, string? ParentId, string DomainId)>("SELECT id, parent_id, domain_id FROM projects")).ToList();
        var projectDomain = projects.ToDictionary(p => p.Id, p => p.DomainId);
        string? filterDomain = domainId ?? (projectId is not null ? projectDomain.GetValueOrDefault(projectId) : null);
        authz.Enforce("identity:list_role_assignments", new Dictionary<string, object?> { ["target.domain_id"] = filterDomain, ["target.user.id"] = userId });

        var rows = (await c.QueryAsync<Assignment>("SELECT type, actor_id, target_id, role_id, inherited FROM role_assignments"))
            .Select(a => new Row(a.Type, a.ActorId, a.TargetId, a.RoleId, a.Inherited)).ToList();
        if (effective)
        {
            var members = (await c.QueryAsync<(string UserId, string GroupId)>("SELECT user_id, group_id FROM user_group_membership")).ToLookup(m => m.GroupId, m => m.UserId);
            rows = [.. rows.SelectMany(r => r.Type.StartsWith("Group", StringComparison.Ordinal)
                ? members[r.ActorId].Select(u => r with { ActorId = u, ViaGroup = r.ActorId })
                : [r])];
            rows = [.. rows.SelectMany(r => !r.Inherited ? [r]
                : r.Scope == "domain"
                    ? projects.Where(p => p.DomainId == r.TargetId).Select(p => r with { Type = r.Type.Replace("Domain", "Project", StringComparison.Ordinal), TargetId = p.Id, Inherited = false, InheritedFrom = r.TargetId })
                    : AssignmentResolver.Subtree(projects, r.TargetId).Select(p => r with { TargetId = p, Inherited = false, InheritedFrom = r.TargetId }))];
            var implies = await roles.ImpliesAsync();
            rows = [.. rows.SelectMany(r => new[] { r }.Concat(RolesApi.Reachable(implies, r.RoleId).Select(i => r with { RoleId = i, PriorRole = r.RoleId })))];
            rows = [.. rows.Distinct()];
        }

        IEnumerable<Row> result = rows;
        if (userId is not null) result = result.Where(r => r.IsUser && r.ActorId == userId);
        if (groupId is not null) result = result.Where(r => !r.IsUser && r.ActorId == groupId);
        if (roleId is not null) result = result.Where(r => r.RoleId == roleId);
        if (projectId is not null)
        {
            var scope = includeSubtree ? [projectId, .. AssignmentResolver.Subtree(projects, projectId)] : new HashSet<string> { projectId };
            result = result.Where(r => r.Scope == "project" && scope.Contains(r.TargetId));
        }
        if (domainId is not null) result = result.Where(r => r.Scope == "domain" && r.TargetId == domainId);
        if (system is not null) result = result.Where(r => r.Scope == "system");
        if (inheritedTo is not null) result = result.Where(r => r.Inherited);
        var list = result.ToList();

        Dictionary<string, Named> names = [];
        if (includeNames)
        {
            foreach (var n in await c.QueryAsync<(string Id, string Name, string? DomainId)>(
                "SELECT id, name, domain_id FROM users UNION ALL SELECT id, name, domain_id FROM `groups` UNION ALL SELECT id, name, domain_id FROM projects UNION ALL SELECT id, name, NULL FROM domains UNION ALL SELECT id, name, NULLIF(domain_id, '<<null>>') FROM roles"))
                names[n.Id] = new Named(n.Name, n.DomainId);
        }
        var baseUrl = Links.Base(http.Request) + "/v3";
        return Results.Ok(new { role_assignments = list.Select(r => View(r, names, includeNames, baseUrl)), links = Links.Collection(http.Request) });
    }

    private static Dictionary<string, object?> Ref(string id, Dictionary<string, Named> names, bool includeNames, bool withDomain = true)
    {
        var entity = new Dictionary<string, object?> { ["id"] = id };
        if (includeNames && names.TryGetValue(id, out var n))
        {
            entity["name"] = n.Name;
            if (withDomain && n.DomainId is not null)
                entity["domain"] = new Dictionary<string, object?> { ["id"] = n.DomainId, ["name"] = names.GetValueOrDefault(n.DomainId)?.Name };
        }
        return entity;
    }

    private static Dictionary<string, object?> View(Row r, Dictionary<string, Named> names, bool includeNames, string baseUrl)
    {
        var scope = new Dictionary<string, object?>();
        if (r.Scope == "system") scope["system"] = new { all = true };
        else scope[r.Scope] = Ref(r.TargetId, names, includeNames, withDomain: r.Scope == "project");
        if (r.Inherited) scope["OS-INHERIT:inherited_to"] = "projects";

        var actorKind = r.IsUser ? "user" : "group";
        var targetPath = r.Scope == "system" ? "system" : $"{r.Scope}s/{r.InheritedFrom ?? r.TargetId}";
        var assignmentPath = $"{targetPath}/{(r.ViaGroup is null ? actorKind + "s/" + r.ActorId : "groups/" + r.ViaGroup)}/roles/{r.PriorRole ?? r.RoleId}";
        if (r.Inherited || r.InheritedFrom is not null) assignmentPath = $"OS-INHERIT/{assignmentPath}/inherited_to_projects";
        var links = new Dictionary<string, object?> { ["assignment"] = $"{baseUrl}/{assignmentPath}" };
        if (r.ViaGroup is not null) links["membership"] = $"{baseUrl}/groups/{r.ViaGroup}/users/{r.ActorId}";
        if (r.PriorRole is not null) links["prior_role"] = $"{baseUrl}/roles/{r.PriorRole}";

        return new Dictionary<string, object?>
        {
            ["role"] = Ref(r.RoleId, names, includeNames),
            ["scope"] = scope,
            [actorKind] = Ref(r.ActorId, names, includeNames),
            ["links"] = links,
        };
    }
}
