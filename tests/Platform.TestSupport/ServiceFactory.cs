using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data;

namespace Platform.TestSupport;

/// <summary>
/// One service in-process against the real MySQL and RabbitMQ, with a database and a virtual
/// host of its own. <see cref="SyncAsync"/> runs its `db sync` first, as a deployment does.
/// </summary>
public sealed class ServiceFactory<TProgram>(string database, string transportUrl, IDictionary<string, string?>? settings = null)
    : WebApplicationFactory<TProgram> where TProgram : class
{
    public string Database { get; } = database;

    /// <summary>When set, the service trusts these tokens (no identity runs beside it).</summary>
    public TestTokens? Tokens { get; init; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("database:connection", Database);
        builder.UseSetting("messaging:transport_url", transportUrl);
        builder.UseSetting("host", "test-host");
        // No identity runs beside a single-service test: tokens are checked against keys the
        // test publishes itself, and the catalog's readiness probe of identity stays off.
        builder.UseSetting("keystone_authtoken:jwks_url", "http://127.0.0.1:9/v3/auth/jwks");
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            builder.UseSetting(key, value);
        Tokens?.Trust(builder);
    }

    public async Task SyncAsync()
    {
        var runner = Services.GetService<MigrationRunner>();
        if (runner is not null) await runner.SyncAsync();
    }
}
