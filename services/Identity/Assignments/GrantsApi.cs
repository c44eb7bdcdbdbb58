using Dapper;
using Identity.Common;
using Identity.Groups;
using Identity.Projects;
using Identity.Revocation;
using Identity.Roles;
using Identity.Users;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Platform.Data;

namespace Identity.Assignments;

/// <summary>
/// Role grants: PUT/HEAD/GET/DELETE of a role for a user or group on a project, a domain or the
/// system, and the OS-INHERIT forms that pass down to projects.
/// </summary>
public static class GrantsApi
{
    private const string Target = "{target:regex(^(projects|domains)$)}";
    private const string Actor = "{actor:regex(^(users|groups)$)}";

    public static void MapGrants(this IEndpointRouteBuilder v3)
    {
        var one = $"/{Target}/{{targetId}}/{Actor}/{{actorId}}/roles/{{roleId}}";
        v3.MapPut(one, (HttpContext h, string target, string targetId, string actor, string actorId, string roleId) =>
            GrantAsync(h, target, targetId, actor, actorId, roleId, inherited: false));
        v3.MapMethods(one, ["HEAD", "GET"], (HttpContext h, string target, string targetId, string actor, string actorId, string roleId) =>
            CheckAsync(h, target, targetId, actor, actorId, roleId, inherited: false));
        v3.MapDelete(one, (HttpContext h, string target, string targetId, string actor, string actorId, string roleId) =>
            RevokeAsync(h, target, targetId, actor, actorId, roleId, inherited: false));
        v3.MapGet($"/{Target}/{{targetId}}/{Actor}/{{actorId}}/roles", (HttpContext h, string target, string targetId, string actor, string actorId) =>
            ListAsync(h, target, targetId, actor, actorId, inherited: false));

        var system = $"/system/{Actor}/{{actorId}}/roles/{{roleId}}";
        v3.MapPut(system, (HttpContext h, string actor, string actorId, string roleId) => GrantAsync(h, "system", AssignmentResolver.SystemTarget, actor, actorId, roleId, false));
        v3.MapMethods(system, ["HEAD", "GET"], (HttpContext h, string actor, string actorId, string roleId) => CheckAsync(h, "system", AssignmentResolver.SystemTarget, actor, actorId, roleId, false));
        v3.MapDelete(system, (HttpContext h, string actor, string actorId, string roleId) => RevokeAsync(h, "system", AssignmentResolver.SystemTarget, actor, actorId, roleId, false));
        v3.MapGet($"/system/{Actor}/{{actorId}}/roles", (HttpContext h, string actor, string actorId) => ListAsync(h, "system", AssignmentResolver.SystemTarget, actor, actorId, false));

        var inherited = $"/OS-INHERIT/{Target}/{{targetId}}/{Actor}/{{actorId}}/roles/{{roleId}}/inherited_to_projects";
        v3.MapPut(inherited, (HttpContext h, string target, string targetId, string actor, string actorId, string roleId) =>
            GrantAsync(h, target, targetId, actor, actorId, roleId, inherited: true));
        v3.MapMethods(inherited, ["HEAD", "GET"], (HttpContext h, string target, string targetId, string actor, string actorId, string roleId) =>
            CheckAsync(h, target, targetId, actor, actorId, roleId, inherited: true));
        v3.MapDelete(inherited, (HttpContext h, string target, string targetId, string actor, string actorId, string roleId) =>
            RevokeAsync(h, target, targetId, actor, actorId, roleId, inherited: true));
        v3.MapGet($"/OS-INHERIT/{Target}/{{targetId}}/{Actor}/{{actorId}}/roles/inherited_to_projects", (HttpContext h, string target, string targetId, string actor, string actorId) =>
            ListAsync(h, target, targetId, actor, actorId, inherited: true));
    }

    private static string TypeOf(string target, string actor) =>
        (actor == "users" ? "User" : "Group") + target switch { "projects" => "Project", "domains" => "Domain", _ => "System" };

    /// <summary>Checks that target, actor and role exist; answers the domain the grant falls under.</summary>
    private static async Task<string?> ResolveAsync(IServiceProvider services, string target, string targetId, string actor, string actorId, string? roleId)
    {
        string? domainId = null;
        if (target == "projects")
            domainId = (await services.GetRequiredService<ProjectStore>().GetAsync(targetId) ?? throw KeystoneErrors.NotFound("project", targetId)).DomainId;
        else if (target == "domains")
            domainId = (await services.GetRequiredService<Domains.DomainStore>().GetAsync(targetId) ?? throw KeystoneErrors.NotFound("domain", targetId)).Id;
        if (actor == "users")
            _ = await services.GetRequiredService<UserStore>().GetAsync(actorId) ?? throw KeystoneErrors.NotFound("user", actorId);
        else
            _ = await services.GetRequiredService<GroupStore>().GetAsync(actorId) ?? throw KeystoneErrors.NotFound("group", actorId);
        if (roleId is not null)
        {
            var role = await services.GetRequiredService<RoleStore>().GetAsync(roleId) ?? throw KeystoneErrors.NotFound("role", roleId);
            // A domain-specific role may be granted only within its own domain.
            if (role.Domain is not null && role.Domain != domainId)
                throw ApiForbidden("a domain-specific role can only be granted within its own domain");
        }
        return domainId;
    }

    private static Platform.Hosting.ApiException ApiForbidden(string message) => Platform.Hosting.ApiException.Forbidden(message);

    private static void Enforce(IServiceProvider services, string action, string target, string? domainId)
    {
        var rule = target == "system" ? $"identity:{action}_system_grant" : $"identity:{action}_grant";
        services.GetRequiredService<Authz>().Enforce(rule, new Dictionary<string, object?> { ["target.domain_id"] = domainId, ["target.project.domain_id"] = domainId });
    }

    private static async Task<IResult> GrantAsync(HttpContext http, string target, string targetId, string actor, string actorId, string roleId, bool inherited)
    {
        var domainId = await ResolveAsync(http.RequestServices, target, targetId, actor, actorId, roleId);
        Enforce(http.RequestServices, "create", target, domainId);
        await using var c = await http.RequestServices.GetRequiredService<IDbConnectionFactory>().OpenAsync();
        await c.ExecuteAsync("INSERT IGNORE INTO role_assignments (type, actor_id, target_id, role_id, inherited) VALUES (@type, @actorId, @targetId, @roleId, @inherited)",
            new { type = TypeOf(target, actor), actorId, targetId, roleId, inherited });
        return Results.NoContent();
    }

    private static async Task<IResult> CheckAsync(HttpContext http, string target, string targetId, string actor, string actorId, string roleId, bool inherited)
    {
        var domainId = await ResolveAsync(http.RequestServices, target, targetId, actor, actorId, roleId);
        Enforce(http.RequestServices, "check", target, domainId);
        await using var c = await http.RequestServices.GetRequiredService<IDbConnectionFactory>().OpenAsync();
        var found = await c.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM role_assignments WHERE type = @type AND actor_id = @actorId AND target_id = @targetId AND role_id = @roleId AND inherited = @inherited",
            new { type = TypeOf(target, actor), actorId, targetId, roleId, inherited }) > 0;
        return found ? Results.NoContent() : throw KeystoneErrors.NotFound("role assignment", $"{roleId} for {actorId} on {targetId}");
    }

    private static async Task<IResult> RevokeAsync(HttpContext http, string target, string targetId, string actor, string actorId, string roleId, bool inherited)
    {
        var services = http.RequestServices;
        var domainId = await ResolveAsync(services, target, targetId, actor, actorId, roleId);
        Enforce(services, "revoke", target, domainId);
        var revoker = services.GetRequiredService<Revoker>();
        await using var c = await services.GetRequiredService<IDbConnectionFactory>().OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        var removed = await c.ExecuteAsync(
            "DELETE FROM role_assignments WHERE type = @type AND actor_id = @actorId AND target_id = @targetId AND role_id = @roleId AND inherited = @inherited",
            new { type = TypeOf(target, actor), actorId, targetId, roleId, inherited }, tx);
        if (removed == 0) throw KeystoneErrors.NotFound("role assignment", $"{roleId} for {actorId} on {targetId}");
        // The affected users' tokens on that target carry the role: they end now.
        var users = actor == "users" ? [actorId] : (await c.QueryAsync<string>("SELECT user_id FROM user_group_membership WHERE group_id = @actorId", new { actorId }, tx)).ToList();
        foreach (var userId in users)
        {
            if (target == "projects" && !inherited) await revoker.RevokeAsync(tx, userId: userId, projectId: targetId);
            else if (target == "domains" && !inherited) await revoker.RevokeAsync(tx, userId: userId, domainId: targetId);
            else await revoker.RevokeAsync(tx, userId: userId);
        }
        await tx.CommitAsync();
        revoker.Notify();
        return Results.NoContent();
    }

    private static async Task<IResult> ListAsync(HttpContext http, string target, string targetId, string actor, string actorId, bool inherited)
    {
        var services = http.RequestServices;
        var domainId = await ResolveAsync(services, target, targetId, actor, actorId, null);
        Enforce(services, "list", target, domainId);
        await using var c = await services.GetRequiredService<IDbConnectionFactory>().OpenAsync();
        var roleIds = (await c.QueryAsync<string>(
            "SELECT role_id FROM role_assignments WHERE type = @type AND actor_id = @actorId AND target_id = @targetId AND inherited = @inherited",
            new { type = TypeOf(target, actor), actorId, targetId, inherited })).ToHashSet();
        var roles = (await services.GetRequiredService<RoleStore>().AllAsync()).Where(r => roleIds.Contains(r.Id)).OrderBy(r => r.Name);
        return Results.Ok(new { roles = roles.Select(r => RolesApi.View(http.Request, r)), links = Links.Collection(http.Request) });
    }
}
