using System.Data.Common;
using Dapper;
using Identity.Common;
using Identity.Passwords;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.Data;
using Platform.Hosting;

namespace Identity.Bootstrap;

/// <summary>
/// <c>Identity.dll bootstrap</c>, as keystone-manage bootstrap: the Default domain, the admin,
/// member, reader and service roles (admin implies member implies reader), the admin and service
/// projects, the admin user, one user per service, the region and the catalog. Safe to run
/// again: what exists is kept, passwords and endpoint URLs are set to what is configured.
/// </summary>
/// <remarks>
/// Reads <c>[bootstrap]</c>: admin_password (required), admin_username, admin_project, region,
/// demo_password (adds a demo user in a demo project with the member role); <c>[bootstrap:service_users]</c>
/// name = password; <c>[bootstrap:catalog:TYPE]</c> name, url (or public_url, internal_url, admin_url).
/// </remarks>
public sealed class BootstrapCommand : IServiceCommand
{
    public IReadOnlyList<string> Words => ["bootstrap"];
    public string Help => "create the default domain, roles, admin, service users and the catalog";

    public async Task<int> RunAsync(IServiceProvider services, IReadOnlyList<string> rest, CancellationToken cancellationToken)
    {
        var config = services.GetRequiredService<IConfiguration>().GetSection("bootstrap");
        var hasher = services.GetRequiredService<IPasswordHasher>();
        var logger = services.GetRequiredService<ILogger<BootstrapCommand>>();
        var adminPassword = config["admin_password"];
        if (string.IsNullOrEmpty(adminPassword))
        {
            await Console.Error.WriteLineAsync("bootstrap needs [bootstrap] admin_password (or PLATFORM_bootstrap__admin_password)");
            return 2;
        }

        await using var c = await services.GetRequiredService<IDbConnectionFactory>().OpenAsync(cancellationToken);
        await using var tx = await c.BeginTransactionAsync(cancellationToken);
        await c.ExecuteAsync("INSERT IGNORE INTO domains (id, name, description, enabled, created_at) VALUES (@id, 'Default', 'The default domain', 1, UTC_TIMESTAMP(6))",
            new { id = Ids.DefaultDomainId }, tx);

        var admin = await RoleAsync(tx, "admin");
        var member = await RoleAsync(tx, "member");
        var reader = await RoleAsync(tx, "reader");
        var service = await RoleAsync(tx, "service");
        await c.ExecuteAsync("INSERT IGNORE INTO implied_roles (prior_role_id, implied_role_id) VALUES (@admin, @member), (@member, @reader)", new { admin, member, reader }, tx);

        var adminProject = await ProjectAsync(tx, config["admin_project"] ?? "admin", "Bootstrap project for initializing the cloud.");
        var serviceProject = await ProjectAsync(tx, "service", "The project of the fleet's service users.");
        var adminUser = await UserAsync(tx, hasher, config["admin_username"] ?? "admin", adminPassword);
        await GrantAsync(tx, "UserProject", adminUser, adminProject, admin);
        await GrantAsync(tx, "UserSystem", adminUser, "system", admin);

        foreach (var entry in config.GetSection("service_users").GetChildren())
        {
            var user = await UserAsync(tx, hasher, entry.Key, entry.Value ?? throw new InvalidOperationException($"service user {entry.Key} has no password"));
            await GrantAsync(tx, "UserProject", user, serviceProject, service);
            await GrantAsync(tx, "UserProject", user, serviceProject, admin);
        }

        if (config["demo_password"] is { Length: > 0 } demoPassword)
        {
            var demoProject = await ProjectAsync(tx, "demo", "A project for a non-admin user.");
            var demo = await UserAsync(tx, hasher, "demo", demoPassword);
            await GrantAsync(tx, "UserProject", demo, demoProject, member);
        }

        var region = config["region"] ?? "RegionOne";
        await c.ExecuteAsync("INSERT IGNORE INTO regions (id, description) VALUES (@region, '')", new { region }, tx);
        foreach (var entry in config.GetSection("catalog").GetChildren())
            await CatalogAsync(tx, region, entry.Key, entry);

        await tx.CommitAsync(cancellationToken);
        logger.LogInformation("bootstrap done: admin user {Admin}, project {Project}, region {Region}", adminUser, adminProject, region);
        return 0;
    }

    private static async Task<string> RoleAsync(DbTransaction tx, string name)
    {
        await tx.Connection!.ExecuteAsync("INSERT IGNORE INTO roles (id, name, domain_id) VALUES (@id, @name, '<<null>>')", new { id = Ids.New(), name }, tx);
        return await tx.Connection!.ExecuteScalarAsync<string>("SELECT id FROM roles WHERE name = @name AND domain_id = '<<null>>'", new { name }, tx) ?? throw new InvalidOperationException(name);
    }

    private static async Task<string> ProjectAsync(DbTransaction tx, string name, string description)
    {
        await tx.Connection!.ExecuteAsync(
            "INSERT IGNORE INTO projects (id, domain_id, name, description, enabled, created_at) VALUES (@id, @domain, @name, @description, 1, UTC_TIMESTAMP(6))",
            new { id = Ids.New(), domain = Ids.DefaultDomainId, name, description }, tx);
        return await tx.Connection!.ExecuteScalarAsync<string>("SELECT id FROM projects WHERE name = @name AND domain_id = @domain", new { name, domain = Ids.DefaultDomainId }, tx)
            ?? throw new InvalidOperationException(name);
    }

    private static async Task<string> UserAsync(DbTransaction tx, IPasswordHasher hasher, string name, string password)
    {
        var existing = await tx.Connection!.QuerySingleOrDefaultAsync<(string Id, string? Hash)?>(
            "SELECT id, password_hash FROM users WHERE name = @name AND domain_id = @domain", new { name, domain = Ids.DefaultDomainId }, tx);
        if (existing is { } user)
        {
            // Re-running with a new password sets it, as keystone-manage bootstrap does.
            if (user.Hash is null || !hasher.Verify(password, user.Hash))
                await tx.Connection!.ExecuteAsync("UPDATE users SET password_hash = @hash, password_created_at = UTC_TIMESTAMP(6), enabled = 1, failed_auth_count = 0 WHERE id = @id",
                    new { id = user.Id, hash = hasher.Hash(password) }, tx);
            return user.Id;
        }
        var id = Ids.New();
        await tx.Connection!.ExecuteAsync("""
            INSERT INTO users (id, domain_id, name, enabled, password_hash, password_created_at, created_at)
            VALUES (@id, @domain, @name, 1, @hash, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
            """, new { id, domain = Ids.DefaultDomainId, name, hash = hasher.Hash(password) }, tx);
        return id;
    }

    private static Task GrantAsync(DbTransaction tx, string type, string actor, string target, string role) =>
        tx.Connection!.ExecuteAsync("INSERT IGNORE INTO role_assignments (type, actor_id, target_id, role_id, inherited) VALUES (@type, @actor, @target, @role, 0)",
            new { type, actor, target, role }, tx);

    private static async Task CatalogAsync(DbTransaction tx, string region, string type, IConfigurationSection entry)
    {
        var c = tx.Connection!;
        var serviceId = await c.ExecuteScalarAsync<string?>("SELECT id FROM services WHERE type = @type ORDER BY id LIMIT 1", new { type }, tx);
        if (serviceId is null)
        {
            serviceId = Ids.New();
            await c.ExecuteAsync("INSERT INTO services (id, type, name, enabled) VALUES (@serviceId, @type, @name, 1)", new { serviceId, type, name = entry["name"] ?? type }, tx);
        }
        foreach (var @interface in new[] { "public", "internal", "admin" })
        {
            var url = entry[$"{@interface}_url"] ?? entry["url"];
            if (url is null) continue;
            var updated = await c.ExecuteAsync("UPDATE endpoints SET url = @url WHERE service_id = @serviceId AND interface = @interface AND region_id = @region",
                new { url, serviceId, @interface, region }, tx);
            if (updated == 0 && await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM endpoints WHERE service_id = @serviceId AND interface = @interface AND region_id = @region",
                    new { serviceId, @interface, region }, tx) == 0)
                await c.ExecuteAsync("INSERT INTO endpoints (id, service_id, interface, region_id, url, enabled) VALUES (@id, @serviceId, @interface, @region, @url, 1)",
                    new { id = Ids.New(), serviceId, @interface, region, url }, tx);
        }
    }
}
