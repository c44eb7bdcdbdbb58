using Identity.Assignments;
using Identity.Catalog;
using Identity.Common;
using Identity.Domains;
using Identity.Projects;
using Identity.Revocation;
using Identity.Tokens;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Platform.Auth;
using Platform.Data;

namespace Identity.Auth;

public static class AuthApi
{
    public const string SubjectTokenHeader = "X-Subject-Token";

    public static void MapAuth(this IEndpointRouteBuilder v3)
    {
        v3.MapPost("/auth/tokens", IssueAsync).AllowAnonymous();
        v3.MapGet("/auth/tokens", ValidateAsync);
        v3.MapMethods("/auth/tokens", ["HEAD"], CheckAsync);
        v3.MapDelete("/auth/tokens", RevokeAsync);
        v3.MapGet("/auth/projects", AuthProjectsAsync);
        v3.MapGet("/auth/domains", AuthDomainsAsync);
        v3.MapGet("/auth/catalog", AuthCatalogAsync);
        v3.MapGet("/auth/system", AuthSystemAsync);
    }

    private static async Task<IResult> IssueAsync(HttpContext http, Authenticator authenticator, ITokenIssuer issuer, CatalogStore catalog, bool? nocatalog)
    {
        var auth = await Body.ReadAsync(http.Request, "auth");
        var payload = await authenticator.AuthenticateAsync(auth, http.RequestAborted);
        var token = issuer.Issue(payload);
        var scoped = payload.ProjectId is not null || payload.DomainId is not null || payload.SystemScope is not null;
        var body = TokenView.Build(payload, http.Request.Query.ContainsKey("nocatalog") ? null : scoped ? await catalog.TokenCatalogAsync() : []);
        http.Response.Headers[SubjectTokenHeader] = token;
        return Results.Json(new { token = body }, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<ValidatedToken> SubjectAsync(HttpContext http, TokenValidator validator, Authz authz)
    {
        var subject = http.Request.Headers[SubjectTokenHeader].ToString();
        if (string.IsNullOrWhiteSpace(subject)) throw KeystoneErrors.Missing(SubjectTokenHeader, "the request headers");
        var outcome = await validator.ValidateAsync(subject, http.RequestAborted);
        // The caller may validate tokens at all? Only then does it learn whether this one is good.
        authz.Enforce("identity:validate_token", new Dictionary<string, object?> { ["target.token.user_id"] = outcome.Token?.UserId });
        if (!outcome.IsValid) throw Platform.Hosting.ApiException.NotFound("Failed to validate token");
        return outcome.Token!;
    }

    private static async Task<IResult> ValidateAsync(HttpContext http, TokenValidator validator, Authz authz, CatalogStore catalog)
    {
        var token = await SubjectAsync(http, validator, authz);
        var scoped = token.ProjectId is not null || token.DomainId is not null || token.SystemScope is not null;
        http.Response.Headers[SubjectTokenHeader] = http.Request.Headers[SubjectTokenHeader].ToString();
        var body = TokenView.Build(token, http.Request.Query.ContainsKey("nocatalog") ? null : scoped ? await catalog.TokenCatalogAsync() : []);
        return Results.Ok(new { token = body });
    }

    private static async Task<IResult> CheckAsync(HttpContext http, TokenValidator validator, Authz authz)
    {
        await SubjectAsync(http, validator, authz);
        return Results.Ok();
    }

    private static async Task<IResult> RevokeAsync(HttpContext http, TokenValidator validator, Authz authz, IDbConnectionFactory db, Revoker revoker)
    {
        var token = await SubjectAsync(http, validator, authz);
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        await revoker.RevokeAsync(tx, new RevocationEvent { IssuedBefore = token.IssuedAt, AuditId = token.AuditIds[0] });
        await tx.CommitAsync();
        revoker.Notify();
        return Results.NoContent();
    }

    private static async Task<IResult> AuthProjectsAsync(HttpRequest request, AssignmentResolver resolver, ProjectStore projects, DomainStore domains)
    {
        var caller = Authz.Caller;
        var ids = await resolver.ProjectsOfUserAsync(caller.UserId!);
        var enabledDomains = (await domains.ListAsync(null, true)).Select(d => d.Id).ToHashSet();
        var list = (await projects.ListAsync(ids: ids, enabled: true)).Where(p => enabledDomains.Contains(p.DomainId));
        return Results.Ok(new { projects = list.Select(p => ProjectsApi.View(request, p)), links = Links.Collection(request) });
    }

    private static async Task<IResult> AuthDomainsAsync(HttpRequest request, AssignmentResolver resolver, DomainStore domains)
    {
        var ids = (await resolver.DomainsOfUserAsync(Authz.Caller.UserId!)).ToHashSet();
        var list = (await domains.ListAsync(null, true)).Where(d => ids.Contains(d.Id));
        return Results.Ok(new { domains = list.Select(d => DomainsApi.View(request, d)), links = Links.Collection(request) });
    }

    private static async Task<IResult> AuthCatalogAsync(HttpRequest request, CatalogStore catalog)
    {
        var caller = Authz.Caller;
        if (caller.ProjectId is null && caller.DomainId is null && caller.SystemScope is null)
            throw Platform.Hosting.ApiException.Forbidden("A scoped token is required to get a catalog.");
        return Results.Ok(new { catalog = await catalog.TokenCatalogAsync(), links = Links.Collection(request) });
    }

    private static async Task<IResult> AuthSystemAsync(HttpRequest request, AssignmentResolver resolver)
    {
        var roles = await resolver.RolesOnSystemAsync(Authz.Caller.UserId!);
        return Results.Ok(new { system = roles.Count > 0 ? new[] { new { all = true } } : [], links = Links.Collection(request) });
    }
}
