using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;
using Identity.Keys;
using Identity.Tokens;
using Microsoft.Extensions.DependencyInjection;
using MySqlConnector;
using Platform.Auth;
using Platform.Hosting;
using Platform.TestSupport;

namespace Identity.Tests;

/// <summary>
/// An in-process identity service against the real MariaDB and RabbitMQ, keys set up and
/// bootstrapped, with an admin token in hand. One per test class.
/// </summary>
public abstract class BootstrappedIdentity(MySqlFixture mysql, RabbitMqFixture rabbit, string name) : IClassFixture<MySqlFixture>, IClassFixture<RabbitMqFixture>, IAsyncLifetime
{
    protected const string AdminPassword = "admin-secret";
    private readonly string keys = Directory.CreateTempSubdirectory("identity-keys-").FullName;
    protected ServiceFactory<Program> Factory { get; private set; } = null!;
    protected HttpClient Http { get; private set; } = null!;
    protected string Admin { get; private set; } = "";

    /// <summary>Settings a test class adds to (or puts in place of) the defaults below.</summary>
    protected virtual IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>();

    private Dictionary<string, string?> WithSettings(Dictionary<string, string?> defaults)
    {
        foreach (var (key, value) in Settings) defaults[key] = value;
        return defaults;
    }

    public async Task InitializeAsync()
    {
        Factory = new ServiceFactory<Program>(mysql.NewDatabase(name), await rabbit.NewVirtualHostAsync(name), WithSettings(new Dictionary<string, string?>
        {
            ["token:key_repository"] = keys,
            ["identity:password_hash_rounds"] = "1000",
            ["security_compliance:lockout_failure_attempts"] = "3",
            ["bootstrap:admin_password"] = AdminPassword,
            ["bootstrap:demo_password"] = "demo-secret",
            ["messaging:wait_until_started"] = "true",
        }));
        await Factory.SyncAsync();
        Factory.Services.GetRequiredService<KeyRepository>().Setup();
        var bootstrap = Factory.Services.GetServices<IServiceCommand>().Single(c => c.Words.SequenceEqual(["bootstrap"]));
        Assert.Equal(0, await bootstrap.RunAsync(Factory.Services, [], CancellationToken.None));
        Http = Factory.CreateClient();
        var (status, _, token) = await IssueAsync("admin", AdminPassword, Scope("admin"));
        Assert.Equal(HttpStatusCode.Created, status);
        Admin = token!;
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Factory.DisposeAsync();
        Directory.Delete(keys, recursive: true);
    }

    protected static string Scope(string project) => $",\"scope\":{{\"project\":{{\"name\":\"{project}\",\"domain\":{{\"id\":\"default\"}}}}}}";

    protected async Task<(HttpStatusCode, JsonElement, string?)> IssueAsync(string user, string password, string scope = "")
    {
        var body = "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"name\":\"" + user
            + "\",\"domain\":{\"id\":\"default\"},\"password\":\"" + password + "\"}}}" + scope + "}}";
        return await PostAsync("/v3/auth/tokens", body, null);
    }

    protected async Task<(HttpStatusCode, JsonElement, string?)> PostAsync(string path, string body, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (token is not null) request.Headers.Add("X-Auth-Token", token);
        var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var subject = response.Headers.TryGetValues("X-Subject-Token", out var v) ? v.Single() : null;
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone(), subject);
    }

    protected async Task<long> CountAsync(string table)
    {
        await using var c = new MySqlConnection(Factory.Database);
        return await c.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM `{table}`");
    }

}
