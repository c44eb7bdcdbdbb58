using Dapper;
using Identity.Common;
using Identity.Revocation;
using Identity.Users;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Platform.Data;

namespace Identity.Groups;

public sealed record Group(string Id, string DomainId, string Name, string? Description);

public sealed class GroupStore(IDbConnectionFactory db)
{
    public async Task<Group?> GetAsync(string id)
    {
        await using var c = await db.OpenAsync();
        return await c.QuerySingleOrDefaultAsync<Group>("SELECT id, domain_id, name, description FROM `groups` WHERE id = @id", new { id });
    }

    public async Task<IReadOnlyList<Group>> ListAsync(string? name, string? domainId, string? userId = null)
    {
        await using var c = await db.OpenAsync();
        return [.. await c.QueryAsync<Group>("""
            SELECT id, domain_id, name, description FROM `groups`
            WHERE (@name IS NULL OR name = @name) AND (@domainId IS NULL OR domain_id = @domainId)
              AND (@userId IS NULL OR id IN (SELECT group_id FROM user_group_membership WHERE user_id = @userId))
            ORDER BY name
            """, new { name, domainId, userId })];
    }
}

public static class GroupsApi
{
    public static void MapGroups(this IEndpointRouteBuilder v3)
    {
        v3.MapGet("/groups", ListAsync);
        v3.MapPost("/groups", CreateAsync);
        v3.MapGet("/groups/{id}", GetAsync);
        v3.MapPatch("/groups/{id}", UpdateAsync);
        v3.MapDelete("/groups/{id}", DeleteAsync);
        v3.MapGet("/groups/{id}/users", ListUsersAsync);
        v3.MapPut("/groups/{id}/users/{userId}", AddUserAsync);
        v3.MapMethods("/groups/{id}/users/{userId}", ["HEAD"], CheckUserAsync);
        v3.MapGet("/groups/{id}/users/{userId}", CheckUserAsync);
        v3.MapDelete("/groups/{id}/users/{userId}", RemoveUserAsync);
        v3.MapGet("/users/{userId}/groups", ListForUserAsync);
    }

    public static object View(HttpRequest request, Group g) => new
    {
        id = g.Id,
        name = g.Name,
        domain_id = g.DomainId,
        description = g.Description ?? "",
        links = Links.Self(request, $"groups/{g.Id}"),
    };

    private static Dictionary<string, object?> Target(Group g) => new()
    {
        ["target.group.id"] = g.Id,
        ["target.group.domain_id"] = g.DomainId,
        ["target.domain_id"] = g.DomainId,
    };

    private static async Task<Group> FindAsync(GroupStore store, string id) => await store.GetAsync(id) ?? throw KeystoneErrors.NotFound("group", id);

    private static async Task<IResult> ListAsync(HttpRequest request, GroupStore store, Authz authz, string? name, string? domain_id)
    {
        domain_id = authz.EnforceList("identity:list_groups", domain_id);
        return Results.Ok(new { groups = (await store.ListAsync(name, domain_id)).Select(g => View(request, g)), links = Links.Collection(request) });
    }

    private static async Task<IResult> GetAsync(HttpRequest request, GroupStore store, Authz authz, string id)
    {
        var group = await FindAsync(store, id);
        authz.Enforce("identity:get_group", Target(group));
        return Results.Ok(new { group = View(request, group) });
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, IDbConnectionFactory db, Authz authz)
    {
        var body = await Body.ReadAsync(request, "group");
        var caller = Authz.Caller;
        var group = new Group(Ids.New(), body.String("domain_id", 64) ?? caller.DomainId ?? caller.ProjectDomainId ?? Ids.DefaultDomainId,
            body.RequiredName("name", 64), body.String("description", 65535));
        authz.Enforce("identity:create_group", Target(group));
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        if (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM domains WHERE id = @DomainId", group, tx) == 0)
            throw KeystoneErrors.NotFound("domain", group.DomainId);
        if (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM `groups` WHERE domain_id = @DomainId AND name = @Name", group, tx) > 0)
            throw KeystoneErrors.Conflict("group", $"Duplicate entry found with name {group.Name} at domain ID {group.DomainId}");
        await c.ExecuteAsync("INSERT INTO `groups` (id, domain_id, name, description) VALUES (@Id, @DomainId, @Name, @Description)", group, tx);
        await tx.CommitAsync();
        return Results.Json(new { group = View(request, group) }, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> UpdateAsync(HttpRequest request, IDbConnectionFactory db, GroupStore store, Authz authz, string id)
    {
        var body = await Body.ReadAsync(request, "group");
        var current = await FindAsync(store, id);
        authz.Enforce("identity:update_group", Target(current));
        var updated = current with
        {
            Name = body.Has("name") ? body.RequiredName("name", 64) : current.Name,
            Description = body.Has("description") ? body.String("description", 65535) : current.Description,
        };
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        if (updated.Name != current.Name && await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM `groups` WHERE domain_id = @DomainId AND name = @Name", updated, tx) > 0)
            throw KeystoneErrors.Conflict("group", $"Duplicate entry found with name {updated.Name} at domain ID {updated.DomainId}");
        await c.ExecuteAsync("UPDATE `groups` SET name = @Name, description = @Description WHERE id = @Id", updated, tx);
        await tx.CommitAsync();
        return Results.Ok(new { group = View(request, updated) });
    }

    private static async Task<IResult> DeleteAsync(IDbConnectionFactory db, GroupStore store, Authz authz, Revoker revoker, string id)
    {
        var group = await FindAsync(store, id);
        authz.Enforce("identity:delete_group", Target(group));
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        // Members lose what the group gave them.
        foreach (var userId in await c.QueryAsync<string>("SELECT user_id FROM user_group_membership WHERE group_id = @id", new { id }, tx))
            await revoker.RevokeAsync(tx, userId: userId);
        await c.ExecuteAsync("DELETE FROM role_assignments WHERE actor_id = @id; DELETE FROM `groups` WHERE id = @id;", new { id }, tx);
        await tx.CommitAsync();
        revoker.Notify();
        return Results.NoContent();
    }

    private static async Task<IResult> ListUsersAsync(HttpRequest request, GroupStore store, UserStore users, Authz authz, string id)
    {
        var group = await FindAsync(store, id);
        authz.Enforce("identity:list_users_in_group", Target(group));
        return Results.Ok(new { users = (await users.ListAsync(null, null, null, id)).Select(u => UsersApi.View(request, u)), links = Links.Collection(request) });
    }

    private static async Task<(Group, User)> PairAsync(GroupStore store, UserStore users, string id, string userId) =>
        (await FindAsync(store, id), await users.GetAsync(userId) ?? throw KeystoneErrors.NotFound("user", userId));

    private static async Task<IResult> AddUserAsync(IDbConnectionFactory db, GroupStore store, UserStore users, Authz authz, string id, string userId)
    {
        var (group, _) = await PairAsync(store, users, id, userId);
        authz.Enforce("identity:add_user_to_group", Target(group));
        await using var c = await db.OpenAsync();
        await c.ExecuteAsync("INSERT IGNORE INTO user_group_membership (user_id, group_id) VALUES (@userId, @id)", new { userId, id });
        return Results.NoContent();
    }

    private static async Task<IResult> CheckUserAsync(IDbConnectionFactory db, GroupStore store, UserStore users, Authz authz, string id, string userId)
    {
        var (group, _) = await PairAsync(store, users, id, userId);
        authz.Enforce("identity:check_user_in_group", Target(group));
        await using var c = await db.OpenAsync();
        var member = await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM user_group_membership WHERE user_id = @userId AND group_id = @id", new { userId, id }) > 0;
        return member ? Results.NoContent() : throw KeystoneErrors.NotFound("user in group", $"{userId} in {id}");
    }

    private static async Task<IResult> RemoveUserAsync(IDbConnectionFactory db, GroupStore store, UserStore users, Authz authz, Revoker revoker, string id, string userId)
    {
        var (group, _) = await PairAsync(store, users, id, userId);
        authz.Enforce("identity:remove_user_from_group", Target(group));
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        if (await c.ExecuteAsync("DELETE FROM user_group_membership WHERE user_id = @userId AND group_id = @id", new { userId, id }, tx) == 0)
            throw KeystoneErrors.NotFound("user in group", $"{userId} in {id}");
        await revoker.RevokeAsync(tx, userId: userId);
        await tx.CommitAsync();
        revoker.Notify();
        return Results.NoContent();
    }

    private static async Task<IResult> ListForUserAsync(HttpRequest request, GroupStore store, UserStore users, Authz authz, string userId)
    {
        var user = await users.GetAsync(userId) ?? throw KeystoneErrors.NotFound("user", userId);
        authz.Enforce("identity:list_groups_for_user", new Dictionary<string, object?> { ["target.user.id"] = user.Id, ["target.user.domain_id"] = user.DomainId, ["target.domain_id"] = user.DomainId });
        return Results.Ok(new { groups = (await store.ListAsync(null, null, userId)).Select(g => View(request, g)), links = Links.Collection(request) });
    }
}
