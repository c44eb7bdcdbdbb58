using Dapper;
using Identity.Common;
using Identity.Revocation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Platform.Data;

namespace Identity.Roles;

public sealed record Role(string Id, string Name, string DomainId, string? Description)
{
    public const string GlobalDomain = "<<null>>";
    public string? Domain => DomainId == GlobalDomain ? null : DomainId;
}

public sealed class RoleStore(IDbConnectionFactory db, TimeProvider time)
{
    private readonly ShortCache<IReadOnlyList<Role>> all = new(TimeSpan.FromSeconds(5), time);
    private readonly ShortCache<ILookup<string, string>> implies = new(TimeSpan.FromSeconds(5), time);

    /// <summary>Roles or implication rules changed here: forget the cached copies.</summary>
    public void Changed()
    {
        all.Invalidate();
        implies.Invalidate();
    }

    public async Task<Role?> GetAsync(string id)
    {
        await using var c = await db.OpenAsync();
        return await c.QuerySingleOrDefaultAsync<Role>("SELECT id, name, domain_id, description FROM roles WHERE id = @id", new { id });
    }

    public async Task<IReadOnlyList<Role>> ListAsync(string? name = null, string? domainId = null)
    {
        await using var c = await db.OpenAsync();
        return [.. await c.QueryAsync<Role>(
            "SELECT id, name, domain_id, description FROM roles WHERE (@name IS NULL OR name = @name) AND domain_id = @domainId ORDER BY name",
            new { name, domainId = domainId ?? Role.GlobalDomain })];
    }

    public Task<IReadOnlyList<Role>> AllAsync() => all.GetAsync(async () =>
    {
        await using var c = await db.OpenAsync();
        return (IReadOnlyList<Role>)[.. await c.QueryAsync<Role>("SELECT id, name, domain_id, description FROM roles")];
    });

    public Task<ILookup<string, string>> ImpliesAsync() => implies.GetAsync(async () =>
    {
        await using var c = await db.OpenAsync();
        return (await c.QueryAsync<(string Prior, string Implied)>("SELECT prior_role_id, implied_role_id FROM implied_roles")).ToLookup(r => r.Prior, r => r.Implied);
    });
}

public static class RolesApi
{
    public static void MapRoles(this IEndpointRouteBuilder v3)
    {
        v3.MapGet("/roles", ListAsync);
        v3.MapPost("/roles", CreateAsync);
        v3.MapGet("/roles/{id}", GetAsync);
        v3.MapPatch("/roles/{id}", UpdateAsync);
        v3.MapDelete("/roles/{id}", DeleteAsync);
        v3.MapGet("/roles/{prior}/implies", ListImpliesAsync);
        v3.MapPut("/roles/{prior}/implies/{implied}", CreateImplyAsync);
        v3.MapGet("/roles/{prior}/implies/{implied}", GetImplyAsync);
        v3.MapMethods("/roles/{prior}/implies/{implied}", ["HEAD"], HeadImplyAsync);
        v3.MapDelete("/roles/{prior}/implies/{implied}", DeleteImplyAsync);
        v3.MapGet("/role_inferences", ListInferencesAsync);
    }

    public static object View(HttpRequest request, Role r) => new
    {
        id = r.Id,
        name = r.Name,
        domain_id = r.Domain,
        description = r.Description,
        options = new { },
        links = Links.Self(request, $"roles/{r.Id}"),
    };

    private static object Brief(HttpRequest request, Role r) => new { id = r.Id, name = r.Name, links = Links.Self(request, $"roles/{r.Id}") };

    private static async Task<IResult> ListAsync(HttpRequest request, RoleStore store, Authz authz, string? name, string? domain_id)
    {
        authz.Enforce("identity:list_roles");
        var roles = await store.ListAsync(name, domain_id);
        return Results.Ok(new { roles = roles.Select(r => View(request, r)), links = Links.Collection(request) });
    }

    private static async Task<IResult> GetAsync(HttpRequest request, RoleStore store, Authz authz, string id)
    {
        authz.Enforce("identity:get_role");
        var role = await store.GetAsync(id) ?? throw KeystoneErrors.NotFound("role", id);
        return Results.Ok(new { role = View(request, role) });
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, IDbConnectionFactory db, RoleStore store, Authz authz)
    {
        var body = await Body.ReadAsync(request, "role");
        var domainId = body.String("domain_id", 64);
        authz.Enforce("identity:create_role", new Dictionary<string, object?> { ["target.role.domain_id"] = domainId });
        var role = new Role(Ids.New(), body.RequiredName(), domainId ?? Role.GlobalDomain, body.String("description", 255));
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        if (domainId is not null && await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM domains WHERE id = @domainId", new { domainId }, tx) == 0)
            throw KeystoneErrors.NotFound("domain", domainId);
        if (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM roles WHERE name = @Name AND domain_id = @DomainId", role, tx) > 0)
            throw KeystoneErrors.Conflict("role", $"Duplicate entry found with name {role.Name}");
        await c.ExecuteAsync("INSERT INTO roles (id, name, domain_id, description) VALUES (@Id, @Name, @DomainId, @Description)", role, tx);
        await tx.CommitAsync();
        store.Changed();
        return Results.Json(new { role = View(request, role) }, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> UpdateAsync(HttpRequest request, IDbConnectionFactory db, RoleStore store, Authz authz, string id)
    {
        var body = await Body.ReadAsync(request, "role");
        var current = await store.GetAsync(id) ?? throw KeystoneErrors.NotFound("role", id);
        authz.Enforce("identity:update_role", new Dictionary<string, object?> { ["target.role.domain_id"] = current.Domain });
        var updated = current with
        {
            Name = body.Has("name") ? body.RequiredName() : current.Name,
            Description = body.Has("description") ? body.String("description", 255) : current.Description,
        };
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        if (updated.Name != current.Name && await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM roles WHERE name = @Name AND domain_id = @DomainId", updated, tx) > 0)
            throw KeystoneErrors.Conflict("role", $"Duplicate entry found with name {updated.Name}");
        await c.ExecuteAsync("UPDATE roles SET name = @Name, description = @Description WHERE id = @Id", updated, tx);
        await tx.CommitAsync();
        store.Changed();
        return Results.Ok(new { role = View(request, updated) });
    }

    private static async Task<IResult> DeleteAsync(IDbConnectionFactory db, RoleStore store, Authz authz, Revoker revoker, string id)
    {
        var role = await store.GetAsync(id) ?? throw KeystoneErrors.NotFound("role", id);
        authz.Enforce("identity:delete_role", new Dictionary<string, object?> { ["target.role.domain_id"] = role.Domain });
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        await c.ExecuteAsync("""
            DELETE FROM role_assignments WHERE role_id = @id;
            DELETE FROM implied_roles WHERE prior_role_id = @id OR implied_role_id = @id;
            DELETE FROM application_credential_roles WHERE role_id = @id;
            DELETE FROM roles WHERE id = @id;
            """, new { id }, tx);
        await revoker.RevokeAsync(tx, roleId: id);
        await tx.CommitAsync();
        store.Changed();
        revoker.Notify();
        return Results.NoContent();
    }

    private static async Task<(Role Prior, Role Implied)> PairAsync(RoleStore store, string prior, string implied) =>
        (await store.GetAsync(prior) ?? throw KeystoneErrors.NotFound("role", prior),
         await store.GetAsync(implied) ?? throw KeystoneErrors.NotFound("role", implied));

    private static object Inference(HttpRequest request, Role prior, IEnumerable<Role> implies) =>
        new { prior_role = Brief(request, prior), implies = implies.Select(r => Brief(request, r)) };

    private static async Task<IResult> CreateImplyAsync(HttpRequest request, IDbConnectionFactory db, RoleStore store, Authz authz, string prior, string implied)
    {
        authz.Enforce("identity:create_implied_role");
        var (p, i) = await PairAsync(store, prior, implied);
        if (p.Id == i.Id) throw KeystoneErrors.Validation("A role cannot imply itself.");
        var implies = await store.ImpliesAsync();
        // No cycles: the implied role must not already lead back to the prior one.
        if (Reachable(implies, i.Id).Contains(p.Id))
            throw KeystoneErrors.Validation($"Implied role {i.Id} already implies {p.Id}; the rule would make a loop.");
        await using var c = await db.OpenAsync();
        await c.ExecuteAsync("INSERT IGNORE INTO implied_roles (prior_role_id, implied_role_id) VALUES (@prior, @implied)", new { prior, implied });
        store.Changed();
        return Results.Json(new { role_inference = new { prior_role = Brief(request, p), implies = Brief(request, i) }, links = Links.Self(request, $"roles/{prior}/implies/{implied}") },
            statusCode: StatusCodes.Status201Created);
    }

    public static HashSet<string> Reachable(ILookup<string, string> implies, string start)
    {
        var seen = new HashSet<string>();
        var stack = new Stack<string>([start]);
        while (stack.TryPop(out var role))
            foreach (var next in implies[role])
                if (seen.Add(next)) stack.Push(next);
        return seen;
    }

    private static async Task<IResult> GetImplyAsync(HttpRequest request, RoleStore store, Authz authz, string prior, string implied)
    {
        authz.Enforce("identity:get_implied_role");
        var (p, i) = await PairAsync(store, prior, implied);
        if (!(await store.ImpliesAsync())[prior].Contains(implied)) throw KeystoneErrors.NotFound("implied role", $"{prior} implies {implied}");
        return Results.Ok(new { role_inference = new { prior_role = Brief(request, p), implies = Brief(request, i) }, links = Links.Self(request, $"roles/{prior}/implies/{implied}") });
    }

    private static async Task<IResult> HeadImplyAsync(RoleStore store, Authz authz, string prior, string implied)
    {
        authz.Enforce("identity:get_implied_role");
        await PairAsync(store, prior, implied);
        return (await store.ImpliesAsync())[prior].Contains(implied) ? Results.NoContent() : Results.NotFound();
    }

    private static async Task<IResult> DeleteImplyAsync(IDbConnectionFactory db, RoleStore store, Authz authz, string prior, string implied)
    {
        authz.Enforce("identity:delete_implied_role");
        await PairAsync(store, prior, implied);
        await using var c = await db.OpenAsync();
        var removed = await c.ExecuteAsync("DELETE FROM implied_roles WHERE prior_role_id = @prior AND implied_role_id = @implied", new { prior, implied });
        if (removed == 0) throw KeystoneErrors.NotFound("implied role", $"{prior} implies {implied}");
        store.Changed();
        return Results.NoContent();
    }

    private static async Task<IResult> ListImpliesAsync(HttpRequest request, RoleStore store, Authz authz, string prior)
    {
        authz.Enforce("identity:list_implied_roles");
        var role = await store.GetAsync(prior) ?? throw KeystoneErrors.NotFound("role", prior);
        var all = (await store.AllAsync()).ToDictionary(r => r.Id);
        var implies = await store.ImpliesAsync();
        return Results.Ok(new { role_inference = Inference(request, role, implies[prior].Select(i => all[i])), links = Links.Self(request, $"roles/{prior}/implies") });
    }

    private static async Task<IResult> ListInferencesAsync(HttpRequest request, RoleStore store, Authz authz)
    {
        authz.Enforce("identity:list_role_inference_rules");
        var all = (await store.AllAsync()).ToDictionary(r => r.Id);
        var implies = await store.ImpliesAsync();
        return Results.Ok(new
        {
            role_inferences = implies.Select(g => Inference(request, all[g.Key], g.Select(i => all[i]))),
            links = Links.Collection(request),
        });
    }
}
