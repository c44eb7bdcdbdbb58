using Dapper;
using Identity.Common;
using Identity.Revocation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Http;
using Platform.Data;

namespace Identity.Domains;

public static class DomainsApi
{
    public static void MapDomains(this IEndpointRouteBuilder v3)
    {
        v3.MapGet("/domains", ListAsync);
        v3.MapPost("/domains", CreateAsync);
        v3.MapGet("/domains/{id}", GetAsync);
        v3.MapPatch("/domains/{id}", UpdateAsync);
        v3.MapDelete("/domains/{id}", DeleteAsync);
    }

    public static object View(HttpRequest request, Domain d) => new
    {
        id = d.Id,
        name = d.Name,
        description = d.Description ?? "",
        enabled = d.Enabled,
        tags = Array.Empty<string>(),
        options = new { },
        links = Links.Self(request, $"domains/{d.Id}"),
    };

    private static async Task<IResult> ListAsync(HttpRequest request, DomainStore store, Authz authz, string? name, bool? enabled)
    {
        authz.Enforce("identity:list_domains");
        var domains = await store.ListAsync(name, enabled);
        return Results.Ok(new { domains = domains.Select(d => View(request, d)), links = Links.Collection(request) });
    }

    private static async Task<IResult> GetAsync(HttpRequest request, DomainStore store, Authz authz, string id)
    {
        authz.Enforce("identity:get_domain", new Dictionary<string, object?> { ["target.domain.id"] = id });
        var domain = await store.GetAsync(id) ?? throw KeystoneErrors.NotFound("domain", id);
        return Results.Ok(new { domain = View(request, domain) });
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, IDbConnectionFactory db, Authz authz)
    {
        authz.Enforce("identity:create_domain");
        var body = await Body.ReadAsync(request, "domain");
        var domain = new Domain(body.String("id", 64) ?? Ids.New(), body.RequiredName("name", 64), body.String("description", 65535), body.Bool("enabled") ?? true);
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        if (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM domains WHERE name = @Name OR id = @Id", domain, tx) > 0)
            throw KeystoneErrors.Conflict("domain", $"Duplicate entry found with name {domain.Name}");
        await DomainStore.InsertAsync(tx, domain);
        await tx.CommitAsync();
        return Results.Json(new { domain = View(request, domain) }, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> UpdateAsync(HttpRequest request, IDbConnectionFactory db, DomainStore store, Authz authz, Revoker revoker, string id)
    {
        authz.Enforce("identity:update_domain", new Dictionary<string, object?> { ["target.domain.id"] = id });
        var body = await Body.ReadAsync(request, "domain");
        var current = await store.GetAsync(id) ?? throw KeystoneErrors.NotFound("domain", id);
        var updated = current with
        {
            Name = body.Has("name") ? body.RequiredName("name", 64) : current.Name,
            Description = body.Has("description") ? body.String("description", 65535) : current.Description,
            Enabled = body.Bool("enabled") ?? current.Enabled,
        };
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        if (updated.Name != current.Name && await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM domains WHERE name = @Name", updated, tx) > 0)
            throw KeystoneErrors.Conflict("domain", $"Duplicate entry found with name {updated.Name}");
        await DomainStore.UpdateAsync(tx, updated);
        // Disabling a domain ends every token scoped to it or to its users.
        if (current.Enabled && !updated.Enabled)
            await revoker.RevokeAsync(tx, domainId: id);
        await tx.CommitAsync();
        revoker.Notify();
        return Results.Ok(new { domain = View(request, updated) });
    }

    private static async Task<IResult> DeleteAsync(IDbConnectionFactory db, DomainStore store, Authz authz, Revoker revoker, string id)
    {
        authz.Enforce("identity:delete_domain", new Dictionary<string, object?> { ["target.domain.id"] = id });
        var domain = await store.GetAsync(id) ?? throw KeystoneErrors.NotFound("domain", id);
        // Keystone refuses to delete an enabled domain: disable it first.
        if (domain.Enabled)
            throw ApiForbiddenEnabled();
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        // As keystone: the domain's projects, users and groups go with it, and every
        // assignment on or of them.
        await c.ExecuteAsync(DeleteOwned, new { id }, tx);
        await revoker.RevokeAsync(tx, domainId: id);
        await tx.CommitAsync();
        revoker.Notify();
        return Results.NoContent();
    }

    private static Platform.Hosting.ApiException ApiForbiddenEnabled() =>
        Platform.Hosting.ApiException.Forbidden("Cannot delete a domain that is enabled, please disable it first.");

    private const string DeleteOwned = """
        DELETE FROM role_assignments WHERE target_id = @id
            OR target_id IN (SELECT id FROM projects WHERE domain_id = @id)
            OR actor_id IN (SELECT id FROM users WHERE domain_id = @id)
            OR actor_id IN (SELECT id FROM `groups` WHERE domain_id = @id);
        UPDATE projects SET parent_id = NULL WHERE domain_id = @id;
        DELETE FROM projects WHERE domain_id = @id;
        DELETE FROM users WHERE domain_id = @id;
        DELETE FROM `groups` WHERE domain_id = @id;
        DELETE FROM implied_roles WHERE prior_role_id IN (SELECT id FROM roles WHERE domain_id = @id)
            OR implied_role_id IN (SELECT id FROM roles WHERE domain_id = @id);
        DELETE FROM roles WHERE domain_id = @id;
        DELETE FROM domains WHERE id = @id;
        """;
}
