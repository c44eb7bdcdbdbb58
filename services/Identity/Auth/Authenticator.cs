using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Identity.Assignments;
using Identity.Common;
using Identity.Domains;
using Identity.Passwords;
using Identity.Projects;
using Identity.Roles;
using Identity.Users;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Platform.Auth;
using Platform.Data;

namespace Identity.Auth;

/// <summary>
/// POST /v3/auth/tokens minus HTTP: checks the identity methods, settles the scope, resolves
/// the roles the token will carry, and builds its payload.
/// </summary>
public sealed class Authenticator(
    IDbConnectionFactory db, UserStore users, AuthLookups lookups, RoleStore roleStore, AssignmentResolver assignments,
    IPasswordHasher hasher, TokenValidator validator, IConfiguration configuration, TimeProvider time, ILogger<Authenticator> logger)
{
    private TimeSpan Expiration => TimeSpan.FromSeconds(int.TryParse(configuration["token:expiration"], out var s) ? s : 3600);
    private int LockoutAttempts => int.TryParse(configuration["security_compliance:lockout_failure_attempts"], out var n) ? n : 0;
    private TimeSpan LockoutDuration => TimeSpan.FromSeconds(int.TryParse(configuration["security_compliance:lockout_duration"], out var s) ? s : 1800);

    private sealed record Identified(User User, List<string> Methods, DateTimeOffset? ExpiresAt, string? AuditChain);

    public async Task<TokenPayload> AuthenticateAsync(JsonObject auth, CancellationToken cancellationToken)
    {
        if (auth["identity"] is not JsonObject identity) throw KeystoneErrors.Missing("identity", "auth");
        var methods = identity.StringList("methods");
        if (methods is null || methods.Count == 0) throw KeystoneErrors.Missing("methods", "identity");

        Identified who;
        if (methods.Contains("password"))
            who = await PasswordAsync(identity["password"] as JsonObject ?? throw KeystoneErrors.Missing("password", "identity"));
        else if (methods.Contains("token"))
            who = await TokenAsync(identity["token"] as JsonObject ?? throw KeystoneErrors.Missing("token", "identity"), cancellationToken);
        else if (methods.Contains("application_credential"))
            return await ApplicationCredentialAsync(identity["application_credential"] as JsonObject ?? throw KeystoneErrors.Missing("application_credential", "identity"));
        else
            throw KeystoneErrors.Unauthorized($"Attempted to authenticate with an unsupported method: {string.Join(", ", methods)}.");

        var user = who.User;
        var userDomain = await lookups.DomainAsync(user.DomainId);
        if (!user.Enabled || userDomain is not { Enabled: true })
            throw KeystoneErrors.Unauthorized($"The account is disabled for user: {user.Id}.");

        var now = time.GetUtcNow();
        var payload = new TokenPayload
        {
            UserId = user.Id,
            UserName = user.Name,
            UserDomainId = user.DomainId,
            UserDomainName = userDomain.Name,
            Methods = who.Methods,
            AuditIds = who.AuditChain is null ? [NewAuditId()] : [NewAuditId(), who.AuditChain],
            IssuedAt = now,
            ExpiresAt = who.ExpiresAt ?? now + Expiration,
        };
        return await ScopeAsync(payload, user, auth["scope"]);
    }

    private async Task<TokenPayload> ScopeAsync(TokenPayload payload, User user, JsonNode? scope)
    {
        if (scope is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() == "unscoped")
            return payload;
        if (scope is null)
        {
            // Without a scope keystone falls back to the user's default project, if it can be used.
            if (user.DefaultProjectId is { } defaultProject && await lookups.ProjectAsync(defaultProject) is { Enabled: true } p
                && (await assignments.RolesOnProjectAsync(user.Id, p.Id)).Count > 0)
                return await ProjectScopeAsync(payload, user, p);
            return payload;
        }
        if (scope is not JsonObject s) throw KeystoneErrors.Validation("Invalid input for field 'scope'.");
        if (s.Count != 1) throw KeystoneErrors.Validation("Specify exactly one of project, domain or system as the scope.");

        if (s["project"] is JsonObject projectRef)
        {
            var project = await FindProjectAsync(projectRef);
            return await ProjectScopeAsync(payload, user, project);
        }
        if (s["domain"] is JsonObject domainRef)
        {
            var domain = await FindDomainAsync(domainRef) ?? throw KeystoneErrors.Unauthorized("Could not find the domain to scope to.");
            if (!domain.Enabled) throw KeystoneErrors.Unauthorized($"Domain {domain.Id} is disabled.");
            var roles = await assignments.RolesOnDomainAsync(user.Id, domain.Id);
            if (roles.Count == 0) throw KeystoneErrors.Unauthorized($"User {user.Id} has no access to domain {domain.Id}.");
            return WithRoles(payload with { DomainId = domain.Id, DomainName = domain.Name }, roles);
        }
        if (s["system"] is JsonObject system)
        {
            if (system.Bool("all") != true) throw KeystoneErrors.Validation("Invalid input for field 'system': only {\"all\": true} is a system.");
            var roles = await assignments.RolesOnSystemAsync(user.Id);
            if (roles.Count == 0) throw KeystoneErrors.Unauthorized($"User {user.Id} has no access to the system.");
            return WithRoles(payload with { SystemScope = "all" }, roles);
        }
        throw KeystoneErrors.Validation("Invalid input for field 'scope': expected project, domain or system.");
    }

    private async Task<TokenPayload> ProjectScopeAsync(TokenPayload payload, User user, Project project)
    {
        var domain = await lookups.DomainAsync(project.DomainId);
        if (!project.Enabled || domain is not { Enabled: true })
            throw KeystoneErrors.Unauthorized($"Project {project.Id} is disabled.");
        var roles = await assignments.RolesOnProjectAsync(user.Id, project.Id);
        if (roles.Count == 0) throw KeystoneErrors.Unauthorized($"User {user.Id} has no access to project {project.Id}.");
        return WithRoles(payload with { ProjectId = project.Id, ProjectName = project.Name, ProjectDomainId = domain.Id, ProjectDomainName = domain.Name }, roles);
    }

    private static TokenPayload WithRoles(TokenPayload payload, IReadOnlyList<Role> roles) =>
        payload with { Roles = [.. roles.Select(r => r.Name)], RoleIds = [.. roles.Select(r => r.Id)] };

    private async Task<Domain?> FindDomainAsync(JsonObject reference)
    {
        if (reference.String("id", 64) is { } id) return await lookups.DomainAsync(id);
        if (reference.String("name", 64) is { } name) return await lookups.DomainByNameAsync(name);
        throw KeystoneErrors.Missing("id or name", "domain");
    }

    private async Task<Project> FindProjectAsync(JsonObject reference)
    {
        Project? project;
        if (reference.String("id", 64) is { } id)
            project = await lookups.ProjectAsync(id);
        else
        {
            var name = reference.String("name", 64) ?? throw KeystoneErrors.Missing("id or name", "project");
            var domain = reference["domain"] as JsonObject ?? throw KeystoneErrors.Missing("domain", "project");
            var d = await FindDomainAsync(domain);
            project = d is null ? null : await lookups.ProjectByNameAsync(name, d.Id);
        }
        // As keystone: an unknown scope is the caller's failure to authenticate, not a 404.
        return project ?? throw KeystoneErrors.Unauthorized("Could not find the project to scope to.");
    }

    private async Task<Identified> PasswordAsync(JsonObject password)
    {
        if (password["user"] is not JsonObject u) throw KeystoneErrors.Missing("user", "password");
        var secret = u.String("password", 4096) ?? throw KeystoneErrors.Missing("password", "user");
        User? user;
        if (u.String("id", 64) is { } id)
            user = await users.GetAsync(id);
        else
        {
            var name = u.String("name") ?? throw KeystoneErrors.Missing("id or name", "user");
            var domainRef = u["domain"] as JsonObject ?? throw KeystoneErrors.Missing("domain", "user");
            var domain = await FindDomainAsync(domainRef);
            user = domain is null ? null : await users.FindByNameAsync(name, domain.Id);
        }
        if (user is null)
        {
            // Same answer as a wrong password, after the same work, so names cannot be probed.
            hasher.Verify(secret, DecoyHash);
            throw KeystoneErrors.Unauthorized();
        }

        var now = time.GetUtcNow().UtcDateTime;
        if (LockoutAttempts > 0 && user.FailedAuthCount >= LockoutAttempts && user.FailedAuthAt is { } at && at + LockoutDuration > now)
            throw KeystoneErrors.Unauthorized($"The account is locked for user: {user.Id}.");

        await using var c = await db.OpenAsync();
        if (user.PasswordHash is null || !hasher.Verify(secret, user.PasswordHash))
        {
            await c.ExecuteAsync("UPDATE users SET failed_auth_count = IF(failed_auth_at IS NULL OR failed_auth_at + INTERVAL @window SECOND > @now, failed_auth_count + 1, 1), failed_auth_at = @now WHERE id = @id",
                new { id = user.Id, now, window = (int)LockoutDuration.TotalSeconds });
            logger.LogInformation("password authentication failed for user {UserId}", user.Id);
            throw KeystoneErrors.Unauthorized();
        }
        if (user.FailedAuthCount > 0)
            await c.ExecuteAsync("UPDATE users SET failed_auth_count = 0, failed_auth_at = NULL WHERE id = @id", new { id = user.Id });
        if (hasher.NeedsRehash(user.PasswordHash))
            await c.ExecuteAsync("UPDATE users SET password_hash = @hash WHERE id = @id", new { id = user.Id, hash = hasher.Hash(secret) });
        return new Identified(user, ["password"], null, null);
    }

    /// <summary>
    /// An application credential scopes itself: to its project, with the roles it was given that
    /// the user still holds there.
    /// </summary>
    private async Task<TokenPayload> ApplicationCredentialAsync(JsonObject reference)
    {
        var secret = reference.String("secret", 4096) ?? throw KeystoneErrors.Missing("secret", "application_credential");
        ApplicationCredentials.ApplicationCredential? credential;
        if (reference.String("id", 64) is { } id)
            credential = await ApplicationCredentials.ApplicationCredentialsApi.FindAsync(db, id);
        else
        {
            var name = reference.String("name") ?? throw KeystoneErrors.Missing("id or name", "application_credential");
            var u = reference["user"] as JsonObject ?? throw KeystoneErrors.Missing("user", "application_credential");
            User? owner = u.String("id", 64) is { } uid ? await users.GetAsync(uid)
                : u.String("name") is { } uname && u["domain"] is JsonObject d && await FindDomainAsync(d) is { } ud ? await users.FindByNameAsync(uname, ud.Id) : null;
            credential = owner is null ? null : await ApplicationCredentials.ApplicationCredentialsApi.FindAsync(db, null, owner.Id, name);
        }
        if (credential is null || !hasher.Verify(secret, credential.SecretHash))
            throw KeystoneErrors.Unauthorized();
        if (credential.ExpiresAt is { } at && at <= time.GetUtcNow().UtcDateTime)
            throw KeystoneErrors.Unauthorized("The application credential has expired.");
        var user = await lookups.UserAsync(credential.UserId) ?? throw KeystoneErrors.Unauthorized();
        var userDomain = await lookups.DomainAsync(user.DomainId);
        if (!user.Enabled || userDomain is not { Enabled: true })
            throw KeystoneErrors.Unauthorized($"The account is disabled for user: {user.Id}.");
        var project = await lookups.ProjectAsync(credential.ProjectId) ?? throw KeystoneErrors.Unauthorized();
        var now = time.GetUtcNow();
        var payload = new TokenPayload
        {
            UserId = user.Id, UserName = user.Name, UserDomainId = user.DomainId, UserDomainName = userDomain.Name,
            Methods = ["application_credential"], AuditIds = [NewAuditId()], IssuedAt = now, ExpiresAt = now + Expiration,
        };
        var scoped = await ProjectScopeAsync(payload, user, project);
        var granted = (await ApplicationCredentials.ApplicationCredentialsApi.RolesOfAsync(db, roleStore, credential.Id)).Select(r => r.Id).ToHashSet();
        var kept = scoped.RoleIds.Zip(scoped.Roles).Where(p => granted.Contains(p.First)).ToList();
        if (kept.Count == 0) throw KeystoneErrors.Unauthorized($"User {user.Id} no longer holds the roles of the application credential.");
        return scoped with { RoleIds = [.. kept.Select(p => p.First)], Roles = [.. kept.Select(p => p.Second)] };
    }

    private async Task<Identified> TokenAsync(JsonObject token, CancellationToken cancellationToken)
    {
        var id = token.String("id", 8192) ?? throw KeystoneErrors.Missing("id", "token");
        var outcome = await validator.ValidateAsync(id, cancellationToken);
        if (!outcome.IsValid) throw KeystoneErrors.Unauthorized();
        var t = outcome.Token!;
        var user = await lookups.UserAsync(t.UserId) ?? throw KeystoneErrors.Unauthorized();
        // A rescoped token keeps the original's expiry and audit chain, as keystone's does.
        var methods = new List<string> { "token" };
        methods.AddRange(t.Methods.Where(m => m != "token"));
        return new Identified(user, methods, t.ExpiresAt, t.AuditIds.Count > 0 ? t.AuditIds[^1] : null);
    }

    // Hashed once per process, at the configured cost.
    private string DecoyHash => decoyHash ??= hasher.Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(12)));
    private static string? decoyHash;

    /// <summary>keystone's audit id: 16 random bytes, URL-safe base64 without padding.</summary>
    public static string NewAuditId() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
