using Identity.ApplicationCredentials;
using Identity.Assignments;
using Identity.Auth;
using Identity.Bootstrap;
using Identity.Catalog;
using Identity.Common;
using Identity.Domains;
using Identity.Groups;
using Identity.Projects;
using Identity.Revocation;
using Identity.Roles;
using Identity.Tokens;
using Identity.Users;
using Identity.Versions;
using Platform.Auth.Policy;
using Platform.Hosting;
using Platform.Stack;

namespace Identity;

/// <summary>The identity service (keystone): users, projects, roles, tokens and the catalog.</summary>
public static class IdentityService
{
    public static readonly ServiceDescription Description = new("identity", 5000, ApiFlavor.Keystone);

    public static WebApplicationBuilder AddIdentity(this WebApplicationBuilder builder)
    {
        // Its own keys first: identity validates tokens from its key repository, not over HTTP.
        builder.AddIdentityTokens();
        builder.AddServiceStack(typeof(IdentityService).Assembly, catalog: false);
        builder.AddPolicy(IdentityPolicy.Defaults);

        var services = builder.Services;
        services.AddSingleton<Authz>();
        services.AddSingleton<IdentityChanges>();
        services.AddSingleton(sp => CacheOptions.FromConfiguration(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton<AuthLookups>();
        services.AddSingleton<DomainStore>();
        services.AddSingleton<ProjectStore>();
        services.AddSingleton<UserStore>();
        services.AddSingleton<GroupStore>();
        services.AddSingleton<RoleStore>();
        services.AddSingleton<CatalogStore>();
        services.AddSingleton<AssignmentResolver>();
        services.AddSingleton<Authenticator>();
        services.AddScoped<Revoker>();
        services.AddHostedService<RevocationLoader>();
        services.AddSingleton<IServiceCommand, BootstrapCommand>();
        return builder;
    }

    public static WebApplication MapIdentity(this WebApplication app)
    {
        app.UseIdentityChanges();
        app.MapVersions();
        app.MapJwks();
        var v3 = app.MapGroup("/v3");
        v3.MapAuth();
        v3.MapDomains();
        v3.MapProjects();
        v3.MapUsers();
        v3.MapGroups();
        v3.MapRoles();
        v3.MapGrants();
        v3.MapRoleAssignments();
        v3.MapCatalog();
        v3.MapRevocationEvents();
        v3.MapApplicationCredentials();
        return app;
    }
}
