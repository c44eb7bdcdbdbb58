using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dapper;
using MySqlConnector;
using Platform.TestSupport;

namespace Volume.Tests;

/// <summary>An answer of the volume API: status, JSON body (default when none), headers and text.</summary>
public sealed record ApiAnswer(HttpStatusCode Status, JsonElement Body, HttpResponseHeaders Headers, string Text)
{
    public override string ToString() => $"{(int)Status} {Text}";

    /// <summary>The <c>OpenStack-API-Version</c> answered, or null.</summary>
    public string? Microversion => Headers.TryGetValues("OpenStack-API-Version", out var v) ? string.Join(",", v) : null;
}

/// <summary>
/// The volume API in-process against the real MariaDB and RabbitMQ, with tokens for two projects
/// (ids shaped like keystone's, as cinder's URLs want them), a reader and an admin.
/// </summary>
public abstract class VolumeApiTestBase(MySqlFixture mysql, RabbitMqFixture rabbit, string name) : IAsyncLifetime
{
    private ServiceFactory<Program>? factory;

    protected TestTokens Tokens { get; } = new();
    protected HttpClient Http { get; private set; } = null!;
    protected string Database => factory!.Database;

    protected string ProjectA { get; } = NewProjectId();
    protected string ProjectB { get; } = NewProjectId();
    protected string AdminProject { get; } = NewProjectId();

    /// <summary>Member and reader of project A.</summary>
    protected string A { get; private set; } = "";

    /// <summary>Member and reader of project B.</summary>
    protected string B { get; private set; } = "";

    /// <summary>Only a reader of project A.</summary>
    protected string ReaderA { get; private set; } = "";

    /// <summary>Admin (and member, reader) of the admin project.</summary>
    protected string Admin { get; private set; } = "";

    /// <summary>Where this test's file backend keeps its volumes (removed at the end).</summary>
    protected string VolumesDirectory { get; } = Path.Combine(Path.GetTempPath(), "platform-volumes-" + Guid.NewGuid().ToString("N")[..8]);

    protected virtual IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["messaging:wait_until_started"] = "true",
        ["file:volumes_dir"] = VolumesDirectory,
        ["report_interval"] = "1",
    };

    public static string NewProjectId() => Guid.NewGuid().ToString("N");

    public async Task InitializeAsync()
    {
        TransportUrl = await rabbit.NewVirtualHostAsync(name);
        factory = new ServiceFactory<Program>(mysql.NewDatabase(name), TransportUrl, Settings) { Tokens = Tokens };
        await factory.SyncAsync();
        Http = factory.CreateClient();
        if (RunsBackend) await WaitForBackendAsync();
        A = Tokens.Issue(ProjectA, "member", "reader");
        B = Tokens.Issue(ProjectB, "member", "reader");
        ReaderA = Tokens.Issue(ProjectA, "reader");
        Admin = Tokens.Issue(AdminProject, "admin", "member", "reader");
    }

    /// <summary>False for a test that runs its backend in a process of its own (<see cref="StartBackendAsync"/>).</summary>
    protected virtual bool RunsBackend => true;

    protected string TransportUrl { get; private set; } = "";

    private readonly List<ServiceFactory<Program>> backends = [];

    /// <summary>
    /// The backend's first report may have come before the database existed: wait for a fresh
    /// one, as the scheduler places nothing on a backend it has not heard from.
    /// </summary>
    protected async Task WaitForBackendAsync() =>
        Assert.True(await Eventually.TrueAsync(async () =>
        {
            await using var c = await OpenAsync();
            return await c.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM services WHERE `binary` = 'cinder-volume' AND updated_at > UTC_TIMESTAMP(6) - INTERVAL 5 SECOND") > 0;
        }, TimeSpan.FromSeconds(15)), "the file backend never reported");

    /// <summary>A backend worker alone (<c>--roles backend</c>) on this test's database and broker, as a storage host runs it.</summary>
    protected async Task<ServiceFactory<Program>> StartBackendAsync()
    {
        var settings = new Dictionary<string, string?>(Settings) { ["roles"] = "backend" };
        var backend = new ServiceFactory<Program>(Database, TransportUrl, settings) { Tokens = Tokens };
        backends.Add(backend);
        await Task.Run(() => backend.Server);
        await WaitForBackendAsync();
        return backend;
    }

    public async Task DisposeAsync()
    {
        foreach (var b in backends) await b.DisposeAsync();
        Http?.Dispose();
        if (factory is not null) await factory.DisposeAsync();
        Tokens.Dispose();
        if (Directory.Exists(VolumesDirectory)) Directory.Delete(VolumesDirectory, recursive: true);
    }

    /// <summary>Sends a request; <paramref name="microversion"/> goes as <c>OpenStack-API-Version: volume ...</c>.</summary>
    protected async Task<ApiAnswer> SendAsync(HttpMethod method, string path, string? token, object? body = null, string? microversion = null,
        Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (token is not null) request.Headers.Add("X-Auth-Token", token);
        if (microversion is not null) request.Headers.Add("OpenStack-API-Version", $"volume {microversion}");
        if (body is not null)
            request.Content = new StringContent(body as string ?? JsonSerializer.Serialize(body), Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        configure?.Invoke(request);
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var json = text.StartsWith('{') || text.StartsWith('[') ? JsonDocument.Parse(text).RootElement.Clone() : default;
        return new ApiAnswer(response.StatusCode, json, response.Headers, text);
    }

    protected Task<ApiAnswer> GetAsync(string path, string? token, string? microversion = null) => SendAsync(HttpMethod.Get, path, token, null, microversion);
    protected Task<ApiAnswer> PutAsync(string path, string? token, object body, string? microversion = null) => SendAsync(HttpMethod.Put, path, token, body, microversion);
    protected Task<ApiAnswer> DeleteAsync(string path, string? token, string? microversion = null) => SendAsync(HttpMethod.Delete, path, token, null, microversion);
    protected Task<ApiAnswer> PostAsync(string path, string? token, object body, string? microversion = null) => SendAsync(HttpMethod.Post, path, token, body, microversion);

    protected static void AssertStatus(HttpStatusCode expected, ApiAnswer answer) =>
        Assert.True(answer.Status == expected, $"expected {(int)expected}, got {answer}");

    /// <summary>Asserts cinder's error shape (<c>{"badRequest": {"code": 400, "message": ...}}</c>) with its fault name, and returns the message.</summary>
    protected static string AssertError(HttpStatusCode expected, string fault, ApiAnswer answer)
    {
        AssertStatus(expected, answer);
        var error = answer.Body.GetProperty(fault);
        Assert.Equal((int)expected, error.GetProperty("code").GetInt32());
        return error.GetProperty("message").GetString()!;
    }

    protected async Task<MySqlConnection> OpenAsync()
    {
        var c = new MySqlConnection(Database);
        await c.OpenAsync();
        return c;
    }

    /// <summary>A volume row as the volume service will write it; returns its id.</summary>
    protected async Task<string> AddVolumeAsync(string projectId, int size, string? typeId = null, bool deleted = false, bool useQuota = true, string? migrationStatus = null)
    {
        await using var c = await OpenAsync();
        typeId ??= await DefaultTypeIdAsync(c);
        var id = Guid.NewGuid().ToString();
        await c.ExecuteAsync("""
            INSERT INTO volumes (id, project_id, user_id, size, status, volume_type_id, use_quota, migration_status, deleted, created_at)
            VALUES (@id, @projectId, 'someone', @size, 'available', @typeId, @useQuota, @migrationStatus, @deleted, UTC_TIMESTAMP(6))
            """, new { id, projectId, size, typeId, useQuota, migrationStatus, deleted });
        return id;
    }

    /// <summary>A snapshot row of <paramref name="volumeId"/>, of the volume's size and type.</summary>
    protected async Task<string> AddSnapshotAsync(string volumeId, bool deleted = false)
    {
        await using var c = await OpenAsync();
        var id = Guid.NewGuid().ToString();
        await c.ExecuteAsync("""
            INSERT INTO snapshots (id, volume_id, project_id, user_id, status, volume_size, volume_type_id, deleted, created_at)
            SELECT @id, v.id, v.project_id, 'someone', 'available', v.size, v.volume_type_id, @deleted, UTC_TIMESTAMP(6) FROM volumes v WHERE v.id = @volumeId
            """, new { id, volumeId, deleted });
        return id;
    }

    /// <summary>A volume type row; returns its id.</summary>
    protected async Task<string> AddVolumeTypeAsync(string typeName)
    {
        await using var c = await OpenAsync();
        var id = Guid.NewGuid().ToString();
        await c.ExecuteAsync("INSERT INTO volume_types (id, name, is_public, created_at) VALUES (@id, @typeName, 1, UTC_TIMESTAMP(6))", new { id, typeName });
        return id;
    }

    protected static async Task<string> DefaultTypeIdAsync(MySqlConnection c) =>
        await c.ExecuteScalarAsync<string>("SELECT id FROM volume_types WHERE name = '__DEFAULT__' AND deleted = 0")
        ?? throw new InvalidOperationException("db sync made no __DEFAULT__ volume type");

    protected async Task<long> QuotaRowsAsync(string projectId)
    {
        await using var c = await OpenAsync();
        return await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM quotas WHERE project_id = @projectId", new { projectId });
    }
}
