using System.Net;
using System.Text.Json;
using Dapper;
using MySqlConnector;
using Platform.Hosting;
using Xunit;

namespace Platform.TestSupport;

/// <summary>
/// What every deployable must do from its first day, checked in-process against the real
/// servers: answer health and readiness, stamp request ids, speak its project's error shape,
/// and sync its own schema into its own database, idempotently.
/// </summary>
public abstract class ServiceTestBase<TProgram>(MySqlFixture mysql, RabbitMqFixture rabbit) : IAsyncLifetime
    where TProgram : class
{
    private ServiceFactory<TProgram>? factory;

    protected ServiceFactory<TProgram> Factory => factory ?? throw new InvalidOperationException("not started");

    protected abstract ApiFlavor Flavor { get; }

    /// <summary>False for agents, which own no database.</summary>
    protected virtual bool OwnsDatabase => true;

    public async Task InitializeAsync()
    {
        var name = typeof(TProgram).Assembly.GetName().Name!.ToLowerInvariant();
        factory = new ServiceFactory<TProgram>(mysql.NewDatabase(name[..Math.Min(name.Length, 12)]), await rabbit.NewVirtualHostAsync(name),
            new Dictionary<string, string?> { ["messaging:wait_until_started"] = "true" });
        await factory.SyncAsync();
    }

    public async Task DisposeAsync()
    {
        if (factory is not null) await factory.DisposeAsync();
    }

    [Fact]
    public async Task Healthz_answers_with_a_request_id()
    {
        using var client = Factory.CreateClient();
        var response = await client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var id = Assert.Single(response.Headers.GetValues("x-openstack-request-id"));
        Assert.Matches("^req-[0-9a-f-]{36}$", id);
        if (Flavor == ApiFlavor.Nova)
            Assert.Equal(id, Assert.Single(response.Headers.GetValues("x-compute-request-id")));
    }

    [Fact]
    public async Task Readyz_reports_its_database_and_broker_healthy()
    {
        using var client = Factory.CreateClient();
        HttpResponseMessage? response = null;
        Assert.True(await Eventually.TrueAsync(async () =>
        {
            response = await client.GetAsync("/readyz");
            return response.StatusCode == HttpStatusCode.OK;
        }, TimeSpan.FromSeconds(30)), await (response?.Content.ReadAsStringAsync() ?? Task.FromResult("")));
        using var body = JsonDocument.Parse(await response!.Content.ReadAsStringAsync());
        var checks = body.RootElement.GetProperty("checks");
        Assert.Equal(OwnsDatabase, checks.TryGetProperty("database", out _));
        Assert.Contains(checks.EnumerateObject(), c => c.Name.Contains("masstransit", StringComparison.OrdinalIgnoreCase) || c.Name.Contains("bus", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task A_request_id_from_another_service_is_kept_as_the_global_id_but_not_echoed()
    {
        using var client = Factory.CreateClient();
        var global = "req-" + Guid.NewGuid();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/healthz");
        request.Headers.Add("X-OpenStack-Request-ID", global);
        var response = await client.SendAsync(request);
        var id = Assert.Single(response.Headers.GetValues("x-openstack-request-id"));
        Assert.NotEqual(global, id);
    }

    [Fact]
    public async Task An_unknown_path_gets_a_404_in_the_projects_error_shape()
    {
        using var client = Factory.CreateClient();
        var response = await client.GetAsync("/no/such/resource");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        switch (Flavor)
        {
            case ApiFlavor.Glance:
                Assert.StartsWith("404 Not Found", text);
                break;
            default:
                using (var body = JsonDocument.Parse(text))
                {
                    var root = body.RootElement;
                    var (member, code) = Flavor switch
                    {
                        ApiFlavor.Nova or ApiFlavor.Cinder => (root.GetProperty("itemNotFound"), "code"),
                        ApiFlavor.Neutron => (root.GetProperty("NeutronError"), "type"),
                        ApiFlavor.Placement => (root.GetProperty("errors")[0], "status"),
                        _ => (root.GetProperty("error"), "code"),
                    };
                    Assert.True(member.TryGetProperty(code, out _), text);
                    Assert.True(member.TryGetProperty(Flavor == ApiFlavor.Placement ? "detail" : "message", out _), text);
                }
                break;
        }
    }

    [Fact]
    public async Task Db_sync_creates_the_schema_in_its_own_database_and_is_idempotent()
    {
        if (!OwnsDatabase) return;
        await using var connection = new MySqlConnection(Factory.Database);
        await connection.OpenAsync();
        var tables = (await connection.QueryAsync<string>("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()")).ToList();
        Assert.Contains("schema_migrations", tables);
        Assert.Contains("outbox_messages", tables);
        var before = await connection.QueryAsync<string>("SELECT CONCAT(component, ':', version) FROM schema_migrations ORDER BY 1");

        await Factory.SyncAsync();
        Assert.Equal(before, await connection.QueryAsync<string>("SELECT CONCAT(component, ':', version) FROM schema_migrations ORDER BY 1"));
    }
}
