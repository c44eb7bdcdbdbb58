using System.Net.Http.Headers;
using System.Text;
using Testcontainers.RabbitMq;

using Xunit;

namespace Platform.TestSupport;

/// <summary>
/// A RabbitMQ broker for tests: <c>PLATFORM_TEST_RABBITMQ</c> (<c>rabbit://user:pass@host:5672/</c>)
/// with its management API at <c>PLATFORM_TEST_RABBITMQ_MANAGEMENT</c> when set, else a
/// Testcontainers broker. Each test class gets its own virtual hosts, so exchanges and queues of
/// one test never meet another's; they are deleted at the end.
/// </summary>
public sealed class RabbitMqFixture : IAsyncLifetime
{
    public const string Variable = "PLATFORM_TEST_RABBITMQ";
    public const string ManagementVariable = "PLATFORM_TEST_RABBITMQ_MANAGEMENT";

    private readonly List<string> created = [];
    private RabbitMqContainer? container;
    private Uri broker = null!;
    private Uri management = null!;
    private HttpClient http = null!;

    public async Task InitializeAsync()
    {
        var configured = Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrEmpty(configured))
        {
            broker = new Uri(configured);
            management = new Uri(Environment.GetEnvironmentVariable(ManagementVariable) ?? $"http://{broker.UserInfo}@{broker.Host}:15672/");
        }
        else
        {
            if (!Docker.IsReachable()) throw Docker.NoServer("RabbitMQ broker", Variable);
            container = new RabbitMqBuilder("rabbitmq:3.13-management").WithUsername("guest").WithPassword("guest").WithPortBinding(15672, true).Build();
            await container.StartAsync();
            broker = new Uri($"rabbit://guest:guest@{container.Hostname}:{container.GetMappedPublicPort(5672)}/");
            management = new Uri($"http://guest:guest@{container.Hostname}:{container.GetMappedPublicPort(15672)}/");
        }
        http = new HttpClient { BaseAddress = new Uri(management.GetLeftPart(UriPartial.Authority)) };
        var credentials = Uri.UnescapeDataString(management.UserInfo);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
    }

    /// <summary>The broker's user name, for vhost permissions.</summary>
    private string User => Uri.UnescapeDataString(broker.UserInfo.Split(':')[0]);

    /// <summary>A transport URL to a new, empty virtual host.</summary>
    public async Task<string> NewVirtualHostAsync(string hint = "t")
    {
        var name = $"{hint}-{Guid.NewGuid():N}";
        var put = await http.PutAsync($"/api/vhosts/{Uri.EscapeDataString(name)}", new StringContent("{}", Encoding.UTF8, "application/json"));
        put.EnsureSuccessStatusCode();
        var grant = await http.PutAsync($"/api/permissions/{Uri.EscapeDataString(name)}/{Uri.EscapeDataString(User)}",
            new StringContent("""{"configure":".*","write":".*","read":".*"}""", Encoding.UTF8, "application/json"));
        grant.EnsureSuccessStatusCode();
        lock (created) created.Add(name);
        return $"rabbit://{broker.UserInfo}@{broker.Host}:{broker.Port}/{Uri.EscapeDataString(name)}";
    }

    /// <summary>Messages waiting in a queue of a vhost, from the management API.</summary>
    public async Task<long> QueueDepthAsync(string transportUrl, string queue)
    {
        var vhost = Uri.UnescapeDataString(new Uri(transportUrl).AbsolutePath.TrimStart('/'));
        var response = await http.GetAsync($"/api/queues/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(queue)}");
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound) return -1;
        response.EnsureSuccessStatusCode();
        using var doc = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.TryGetProperty("messages", out var m) ? m.GetInt64() : 0;
    }

    public async Task DisposeAsync()
    {
        foreach (var name in created)
            await http.DeleteAsync($"/api/vhosts/{Uri.EscapeDataString(name)}");
        http?.Dispose();
        if (container is not null) await container.DisposeAsync();
    }
}
