using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Dapper;
using Identity.Common;
using Identity.Passwords;
using Identity.Roles;
using Identity.Users;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Platform.Data;

namespace Identity.ApplicationCredentials;

public sealed record ApplicationCredential(string Id, string Name, string UserId, string ProjectId, string SecretHash, string? Description, DateTime? ExpiresAt, bool Unrestricted);

/// <summary>
/// Application credentials: a secret bound to one user and project with a subset of the user's
/// roles there, shown once at creation and stored only as a slow hash.
/// </summary>
public static class ApplicationCredentialsApi
{
    private const string Columns = "id, name, user_id, project_id, secret_hash, description, expires_at, unrestricted";

    public static void MapApplicationCredentials(this IEndpointRouteBuilder v3)
    {
        v3.MapPost("/users/{userId}/application_credentials", CreateAsync);
        v3.MapGet("/users/{userId}/application_credentials", ListAsync);
        v3.MapGet("/users/{userId}/application_credentials/{id}", GetAsync);
        v3.MapDelete("/users/{userId}/application_credentials/{id}", DeleteAsync);
    }

    private static Dictionary<string, object?> Owner(string userId) => new() { ["target.user.id"] = userId };

    private static object View(HttpRequest request, ApplicationCredential a, IEnumerable<Role> roles, string? secret = null)
    {
        var view = new Dictionary<string, object?>
        {
            ["id"] = a.Id,
            ["name"] = a.Name,
            ["description"] = a.Description,
            ["user_id"] = a.UserId,
            ["project_id"] = a.ProjectId,
            ["expires_at"] = a.ExpiresAt is { } e ? Auth.TokenView.Time(new DateTimeOffset(e, TimeSpan.Zero)) : null,
            ["unrestricted"] = a.Unrestricted,
            ["roles"] = roles.Select(r => new { id = r.Id, name = r.Name, domain_id = r.Domain }).ToList(),
            ["access_rules"] = Array.Empty<object>(),
            ["links"] = Links.Self(request, $"users/{a.UserId}/application_credentials/{a.Id}"),
        };
        if (secret is not null) view["secret"] = secret;
        return view;
    }

    public static async Task<IReadOnlyList<Role>> RolesOfAsync(IDbConnectionFactory db, RoleStore roles, string id)
    {
        await using var c = await db.OpenAsync();
        var ids = (await c.QueryAsync<string>("SELECT role_id FROM application_credential_roles WHERE application_credential_id = @id", new { id })).ToHashSet();
        return [.. (await roles.AllAsync()).Where(r => ids.Contains(r.Id)).OrderBy(r => r.Name)];
    }

    public static async Task<ApplicationCredential?> FindAsync(IDbConnectionFactory db, string? id, string? userId = null, string? name = null)
    {
        await using var c = await db.OpenAsync();
        return await c.QuerySingleOrDefaultAsync<ApplicationCredential>(
            $"SELECT {Columns} FROM application_credentials WHERE (@id IS NULL OR id = @id) AND (@userId IS NULL OR user_id = @userId) AND (@name IS NULL OR name = @name) LIMIT 1",
            new { id, userId, name });
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, IDbConnectionFactory db, UserStore users, RoleStore roleStore, IPasswordHasher hasher, Authz authz, string userId)
    {
        authz.Enforce("identity:create_application_credential", Owner(userId));
        var caller = Authz.Caller;
        if (caller.ProjectId is null)
            throw Platform.Hosting.ApiException.Forbidden("An application credential can only be created with a project-scoped token.");
        _ = await users.GetAsync(userId) ?? throw KeystoneErrors.NotFound("user", userId);
        var body = await Body.ReadAsync(request, "application_credential");
        var name = body.RequiredName();
        var secret = body.String("secret", 4096) ?? NewSecret();
        DateTime? expiresAt = null;
        if (body.String("expires_at") is { } expires)
        {
            if (!DateTimeOffset.TryParse(expires, null, System.Globalization.DateTimeStyles.AssumeUniversal, out var at))
                throw KeystoneErrors.Validation("Invalid input for field 'expires_at': not a time.");
            if (at <= DateTimeOffset.UtcNow) throw KeystoneErrors.Validation("Invalid input for field 'expires_at': the time has passed.");
            expiresAt = at.UtcDateTime;
        }

        // The roles: those asked for, each of which the caller's token must hold; else all of them.
        var all = await roleStore.AllAsync();
        var held = all.Where(r => caller.Roles.Contains(r.Name)).ToList();
        var wanted = held;
        if (body["roles"] is JsonArray asked)
        {
            wanted = [];
            foreach (var item in asked.OfType<JsonObject>())
            {
                var match = item.String("id", 64) is { } rid ? held.FirstOrDefault(r => r.Id == rid)
                    : item.String("name") is { } rname ? held.FirstOrDefault(r => r.Name == rname)
                    : throw KeystoneErrors.Missing("id or name", "role");
                wanted.Add(match ?? throw KeystoneErrors.Forbidden("identity:create_application_credential (a role the token does not hold)"));
            }
        }
        var credential = new ApplicationCredential(Ids.New(), name, userId, caller.ProjectId, hasher.Hash(secret), body.String("description", 65535), expiresAt, body.Bool("unrestricted") ?? false);

        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        if (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM application_credentials WHERE user_id = @UserId AND name = @Name", credential, tx) > 0)
            throw KeystoneErrors.Conflict("application_credential", $"Duplicate entry found with name {name}");
        await c.ExecuteAsync($"INSERT INTO application_credentials ({Columns}, created_at) VALUES (@Id, @Name, @UserId, @ProjectId, @SecretHash, @Description, @ExpiresAt, @Unrestricted, UTC_TIMESTAMP(6))", credential, tx);
        foreach (var role in wanted.DistinctBy(r => r.Id))
            await c.ExecuteAsync("INSERT INTO application_credential_roles (application_credential_id, role_id) VALUES (@id, @role)", new { id = credential.Id, role = role.Id }, tx);
        await tx.CommitAsync();
        return Results.Json(new { application_credential = View(request, credential, wanted, secret) }, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> ListAsync(HttpRequest request, IDbConnectionFactory db, RoleStore roles, Authz authz, string userId, string? name)
    {
        authz.Enforce("identity:list_application_credentials", Owner(userId));
        await using var c = await db.OpenAsync();
        var list = await c.QueryAsync<ApplicationCredential>($"SELECT {Columns} FROM application_credentials WHERE user_id = @userId AND (@name IS NULL OR name = @name) ORDER BY name", new { userId, name });
        var views = new List<object>();
        foreach (var a in list) views.Add(View(request, a, await RolesOfAsync(db, roles, a.Id)));
        return Results.Ok(new { application_credentials = views, links = Links.Collection(request) });
    }

    private static async Task<IResult> GetAsync(HttpRequest request, IDbConnectionFactory db, RoleStore roles, Authz authz, string userId, string id)
    {
        authz.Enforce("identity:get_application_credential", Owner(userId));
        var a = await FindAsync(db, id, userId) ?? throw KeystoneErrors.NotFound("application credential", id);
        return Results.Ok(new { application_credential = View(request, a, await RolesOfAsync(db, roles, a.Id)) });
    }

    private static async Task<IResult> DeleteAsync(IDbConnectionFactory db, Authz authz, string userId, string id)
    {
        authz.Enforce("identity:delete_application_credential", Owner(userId));
        await using var c = await db.OpenAsync();
        return await c.ExecuteAsync("DELETE FROM application_credentials WHERE id = @id AND user_id = @userId", new { id, userId }) > 0
            ? Results.NoContent() : throw KeystoneErrors.NotFound("application credential", id);
    }

    private static string NewSecret() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(64)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
