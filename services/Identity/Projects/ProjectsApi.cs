using Dapper;
using Identity.Common;
using Identity.Domains;
using Identity.Revocation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Platform.Data;

namespace Identity.Projects;

public static class ProjectsApi
{
    public static void MapProjects(this IEndpointRouteBuilder v3)
    {
        v3.MapGet("/projects", ListAsync);
        v3.MapPost("/projects", CreateAsync);
        v3.MapGet("/projects/{id}", GetAsync);
        v3.MapPatch("/projects/{id}", UpdateAsync);
        v3.MapDelete("/projects/{id}", DeleteAsync);
        v3.MapGet("/projects/{id}/tags", async (HttpRequest r, ProjectStore s, Authz a, string id) => Results.Ok(new { tags = (await GetVisibleAsync(s, a, id)).Tags }));
    }

    public static object View(HttpRequest request, Project p) => new
    {
        id = p.Id,
        name = p.Name,
        domain_id = p.DomainId,
        // keystone shows a top-level project's domain as its parent.
        parent_id = p.ParentId ?? p.DomainId,
        description = p.Description ?? "",
        enabled = p.Enabled,
        is_domain = false,
        tags = p.Tags,
        options = new { },
        links = Links.Self(request, $"projects/{p.Id}"),
    };

    private static Dictionary<string, object?> Target(Project p) => new()
    {
        ["target.project.id"] = p.Id,
        ["target.project.domain_id"] = p.DomainId,
        ["target.domain_id"] = p.DomainId,
    };

    private static async Task<Project> GetVisibleAsync(ProjectStore store, Authz authz, string id)
    {
        var project = await store.GetAsync(id) ?? throw KeystoneErrors.NotFound("project", id);
        authz.Enforce("identity:get_project", Target(project));
        return project;
    }

    private static async Task<IResult> ListAsync(HttpRequest request, ProjectStore store, Authz authz,
        string? name, string? domain_id, string? parent_id, bool? enabled, string? tags)
    {
        domain_id = authz.EnforceList("identity:list_projects", domain_id);
        var projects = await store.ListAsync(name, domain_id, parent_id, enabled, tag: tags);
        return Results.Ok(new { projects = projects.Select(p => View(request, p)), links = Links.Collection(request) });
    }

    private static async Task<IResult> GetAsync(HttpRequest request, ProjectStore store, Authz authz, string id) =>
        Results.Ok(new { project = View(request, await GetVisibleAsync(store, authz, id)) });

    private static async Task<IResult> CreateAsync(HttpRequest request, IDbConnectionFactory db, ProjectStore store, DomainStore domains, Authz authz)
    {
        var body = await Body.ReadAsync(request, "project");
        var caller = Authz.Caller;
        var parentId = body.String("parent_id", 64);
        var domainId = body.String("domain_id", 64);
        Project? parent = null;
        if (parentId is not null)
        {
            parent = await store.GetAsync(parentId);
            if (parent is null)
            {
                // A parent may be the domain itself, as keystone shows top-level projects.
                if (await domains.GetAsync(parentId) is null) throw KeystoneErrors.NotFound("project", parentId);
                domainId ??= parentId;
                parentId = null;
            }
            else
            {
                if (domainId is not null && domainId != parent.DomainId)
                    throw KeystoneErrors.Validation("Cannot create project, the parent is in another domain.");
                domainId = parent.DomainId;
            }
        }
        domainId ??= caller.DomainId ?? caller.ProjectDomainId ?? Ids.DefaultDomainId;
        var project = new Project(Ids.New(), domainId, parentId, body.RequiredName("name", 64), body.String("description", 65535), body.Bool("enabled") ?? true)
        {
            Tags = body.StringList("tags") ?? [],
        };
        if (body.Bool("is_domain") == true)
            throw KeystoneErrors.Validation("Creating projects that act as domains is not supported; create a domain.");
        authz.Enforce("identity:create_project", Target(project));
        if (await domains.GetAsync(domainId) is null) throw KeystoneErrors.NotFound("domain", domainId);

        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        if (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM projects WHERE domain_id = @DomainId AND name = @Name", project, tx) > 0)
            throw KeystoneErrors.Conflict("project", $"Duplicate entry found with name {project.Name} at domain ID {project.DomainId}");
        await c.ExecuteAsync("INSERT INTO projects (id, domain_id, parent_id, name, description, enabled, created_at) VALUES (@Id, @DomainId, @ParentId, @Name, @Description, @Enabled, UTC_TIMESTAMP(6))", project, tx);
        await SaveTagsAsync(tx, project);
        await tx.CommitAsync();
        return Results.Json(new { project = View(request, project) }, statusCode: StatusCodes.Status201Created);
    }

    private static async Task SaveTagsAsync(System.Data.Common.DbTransaction tx, Project project)
    {
        if (project.Tags.Any(t => t.Length == 0 || t.Length > 255 || t.Contains('/') || t.Contains(',')))
            throw KeystoneErrors.Validation("Invalid input for field 'tags': a tag is 1 to 255 characters without '/' or ','.");
        await tx.Connection!.ExecuteAsync("DELETE FROM project_tags WHERE project_id = @Id", project, tx);
        foreach (var tag in project.Tags.Distinct())
            await tx.Connection!.ExecuteAsync("INSERT INTO project_tags (project_id, tag) VALUES (@id, @tag)", new { id = project.Id, tag }, tx);
    }

    private static async Task<IResult> UpdateAsync(HttpRequest request, IDbConnectionFactory db, ProjectStore store, Authz authz, Revoker revoker, string id)
    {
        var body = await Body.ReadAsync(request, "project");
        var current = await store.GetAsync(id) ?? throw KeystoneErrors.NotFound("project", id);
        authz.Enforce("identity:update_project", Target(current));
        if (body.Has("domain_id") && body.String("domain_id", 64) != current.DomainId)
            throw KeystoneErrors.Validation("Invalid input for field 'domain_id': a project cannot move to another domain.");
        if (body.Has("parent_id") && body.String("parent_id", 64) is { } p && p != (current.ParentId ?? current.DomainId))
            throw KeystoneErrors.Validation("Invalid input for field 'parent_id': a project cannot change its parent.");
        var updated = current with
        {
            Name = body.Has("name") ? body.RequiredName("name", 64) : current.Name,
            Description = body.Has("description") ? body.String("description", 65535) : current.Description,
            Enabled = body.Bool("enabled") ?? current.Enabled,
            Tags = body.StringList("tags") ?? current.Tags,
        };
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        if (updated.Name != current.Name && await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM projects WHERE domain_id = @DomainId AND name = @Name", updated, tx) > 0)
            throw KeystoneErrors.Conflict("project", $"Duplicate entry found with name {updated.Name} at domain ID {updated.DomainId}");
        await c.ExecuteAsync("UPDATE projects SET name = @Name, description = @Description, enabled = @Enabled WHERE id = @Id", updated, tx);
        await SaveTagsAsync(tx, updated);
        if (current.Enabled && !updated.Enabled)
            await revoker.RevokeAsync(tx, projectId: id);
        await tx.CommitAsync();
        revoker.Notify();
        return Results.Ok(new { project = View(request, updated) });
    }

    private static async Task<IResult> DeleteAsync(IDbConnectionFactory db, ProjectStore store, Authz authz, Revoker revoker, string id)
    {
        var project = await store.GetAsync(id) ?? throw KeystoneErrors.NotFound("project", id);
        authz.Enforce("identity:delete_project", Target(project));
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        if (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM projects WHERE parent_id = @id", new { id }, tx) > 0)
            throw Platform.Hosting.ApiException.Forbidden($"Cannot delete the project {id} since it is not a leaf in the hierarchy. Use the cascade option if you want to delete a whole subtree.");
        await c.ExecuteAsync("DELETE FROM role_assignments WHERE target_id = @id; DELETE FROM projects WHERE id = @id;", new { id }, tx);
        await revoker.RevokeAsync(tx, projectId: id);
        await tx.CommitAsync();
        revoker.Notify();
        return Results.NoContent();
    }
}
