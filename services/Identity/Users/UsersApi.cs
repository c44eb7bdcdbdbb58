using Dapper;
using Identity.Common;
using Identity.Domains;
using Identity.Passwords;
using Identity.Projects;
using Identity.Revocation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Platform.Data;

namespace Identity.Users;

public static class UsersApi
{
    public static void MapUsers(this IEndpointRouteBuilder v3)
    {
        v3.MapGet("/users", ListAsync);
        v3.MapPost("/users", CreateAsync);
        v3.MapGet("/users/{id}", GetAsync);
        v3.MapPatch("/users/{id}", UpdateAsync);
        v3.MapDelete("/users/{id}", DeleteAsync);
        v3.MapPost("/users/{id}/password", ChangePasswordAsync);
        v3.MapGet("/users/{id}/projects", ListProjectsAsync);
    }

    public static object View(HttpRequest request, User u) => new
    {
        id = u.Id,
        name = u.Name,
        domain_id = u.DomainId,
        enabled = u.Enabled,
        email = u.Email,
        description = u.Description,
        default_project_id = u.DefaultProjectId,
        password_expires_at = (string?)null,
        options = new { },
        links = Links.Self(request, $"users/{u.Id}"),
    };

    private static Dictionary<string, object?> Target(User u) => new()
    {
        ["target.user.id"] = u.Id,
        ["target.user.domain_id"] = u.DomainId,
        ["target.domain_id"] = u.DomainId,
    };

    private static async Task<IResult> ListAsync(HttpRequest request, UserStore store, Authz authz, string? name, string? domain_id, bool? enabled)
    {
        domain_id = authz.EnforceList("identity:list_users", domain_id);
        var users = await store.ListAsync(name, domain_id, enabled);
        return Results.Ok(new { users = users.Select(u => View(request, u)), links = Links.Collection(request) });
    }

    private static async Task<IResult> GetAsync(HttpRequest request, UserStore store, Authz authz, string id)
    {
        var user = await store.GetAsync(id) ?? throw KeystoneErrors.NotFound("user", id);
        authz.Enforce("identity:get_user", Target(user));
        return Results.Ok(new { user = View(request, user) });
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, IDbConnectionFactory db, DomainStore domains, ProjectStore projects, IPasswordHasher hasher, Authz authz)
    {
        var body = await Body.ReadAsync(request, "user");
        var caller = Authz.Caller;
        var domainId = body.String("domain_id", 64) ?? caller.DomainId ?? caller.ProjectDomainId ?? Ids.DefaultDomainId;
        var user = new User(Ids.New(), domainId, body.RequiredName(), body.Bool("enabled") ?? true, body.String("email"), body.String("description", 65535), body.String("default_project_id", 64));
        authz.Enforce("identity:create_user", Target(user));
        if (await domains.GetAsync(domainId) is null) throw KeystoneErrors.NotFound("domain", domainId);
        if (user.DefaultProjectId is not null && await projects.GetAsync(user.DefaultProjectId) is null)
            throw KeystoneErrors.NotFound("project", user.DefaultProjectId);
        var password = body.String("password", 4096);
        user = user with { PasswordHash = password is null ? null : hasher.Hash(password) };

        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        if (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM users WHERE domain_id = @DomainId AND name = @Name", user, tx) > 0)
            throw KeystoneErrors.Conflict("user", $"Duplicate entry found with name {user.Name} at domain ID {user.DomainId}");
        await c.ExecuteAsync("""
            INSERT INTO users (id, domain_id, name, enabled, email, description, default_project_id, password_hash, password_created_at, created_at)
            VALUES (@Id, @DomainId, @Name, @Enabled, @Email, @Description, @DefaultProjectId, @PasswordHash, IF(@PasswordHash IS NULL, NULL, UTC_TIMESTAMP(6)), UTC_TIMESTAMP(6))
            """, user, tx);
        await tx.CommitAsync();
        return Results.Json(new { user = View(request, user) }, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> UpdateAsync(HttpRequest request, IDbConnectionFactory db, UserStore store, ProjectStore projects, IPasswordHasher hasher, Authz authz, Revoker revoker, string id)
    {
        var body = await Body.ReadAsync(request, "user");
        var current = await store.GetAsync(id) ?? throw KeystoneErrors.NotFound("user", id);
        authz.Enforce("identity:update_user", Target(current));
        if (body.Has("domain_id") && body.String("domain_id", 64) != current.DomainId)
            throw KeystoneErrors.Validation("Invalid input for field 'domain_id': a user cannot move to another domain.");
        var password = body.String("password", 4096);
        var updated = current with
        {
            Name = body.Has("name") ? body.RequiredName() : current.Name,
            Enabled = body.Bool("enabled") ?? current.Enabled,
            Email = body.Has("email") ? body.String("email") : current.Email,
            Description = body.Has("description") ? body.String("description", 65535) : current.Description,
            DefaultProjectId = body.Has("default_project_id") ? body.String("default_project_id", 64) : current.DefaultProjectId,
            PasswordHash = password is null ? current.PasswordHash : hasher.Hash(password),
        };
        if (updated.DefaultProjectId is not null && updated.DefaultProjectId != current.DefaultProjectId && await projects.GetAsync(updated.DefaultProjectId) is null)
            throw KeystoneErrors.NotFound("project", updated.DefaultProjectId);
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        if (updated.Name != current.Name && await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM users WHERE domain_id = @DomainId AND name = @Name", updated, tx) > 0)
            throw KeystoneErrors.Conflict("user", $"Duplicate entry found with name {updated.Name} at domain ID {updated.DomainId}");
        await c.ExecuteAsync("""
            UPDATE users SET name = @Name, enabled = @Enabled, email = @Email, description = @Description, default_project_id = @DefaultProjectId,
                password_hash = @PasswordHash, failed_auth_count = IF(@Enabled, failed_auth_count, 0)
            WHERE id = @Id
            """, updated, tx);
        if (password is not null)
            await c.ExecuteAsync("UPDATE users SET password_created_at = UTC_TIMESTAMP(6), failed_auth_count = 0, failed_auth_at = NULL WHERE id = @Id", updated, tx);
        // A disabled user or a new password ends every token the user holds.
        if ((current.Enabled && !updated.Enabled) || password is not null)
            await revoker.RevokeAsync(tx, userId: id);
        await tx.CommitAsync();
        revoker.Notify();
        return Results.Ok(new { user = View(request, updated) });
    }

    private static async Task<IResult> DeleteAsync(IDbConnectionFactory db, UserStore store, Authz authz, Revoker revoker, string id)
    {
        var user = await store.GetAsync(id) ?? throw KeystoneErrors.NotFound("user", id);
        authz.Enforce("identity:delete_user", Target(user));
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        await c.ExecuteAsync("DELETE FROM role_assignments WHERE actor_id = @id; DELETE FROM users WHERE id = @id;", new { id }, tx);
        await revoker.RevokeAsync(tx, userId: id);
        await tx.CommitAsync();
        revoker.Notify();
        return Results.NoContent();
    }

    private static async Task<IResult> ChangePasswordAsync(HttpRequest request, IDbConnectionFactory db, UserStore store, IPasswordHasher hasher, Authz authz, Revoker revoker, string id)
    {
        var body = await Body.ReadAsync(request, "user");
        var user = await store.GetAsync(id) ?? throw KeystoneErrors.NotFound("user", id);
        authz.Enforce("identity:change_password", Target(user));
        var original = body.String("original_password", 4096) ?? throw KeystoneErrors.Missing("original_password", "user");
        var password = body.String("password", 4096) ?? throw KeystoneErrors.Missing("password", "user");
        if (user.PasswordHash is null || !hasher.Verify(original, user.PasswordHash))
            throw KeystoneErrors.Unauthorized();
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        await c.ExecuteAsync("UPDATE users SET password_hash = @hash, password_created_at = UTC_TIMESTAMP(6), failed_auth_count = 0, failed_auth_at = NULL WHERE id = @id",
            new { id, hash = hasher.Hash(password) }, tx);
        await revoker.RevokeAsync(tx, userId: id);
        await tx.CommitAsync();
        revoker.Notify();
        return Results.NoContent();
    }

    private static async Task<IResult> ListProjectsAsync(HttpRequest request, UserStore store, ProjectStore projects, Assignments.AssignmentResolver resolver, Authz authz, string id)
    {
        var user = await store.GetAsync(id) ?? throw KeystoneErrors.NotFound("user", id);
        authz.Enforce("identity:list_user_projects", Target(user));
        var ids = await resolver.ProjectsOfUserAsync(id);
        var list = await projects.ListAsync(ids: ids);
        return Results.Ok(new { projects = list.Select(p => ProjectsApi.View(request, p)), links = Links.Collection(request) });
    }
}
