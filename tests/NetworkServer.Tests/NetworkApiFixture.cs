using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Platform.TestSupport;

namespace NetworkServer.Tests;

/// <summary>The network server in-process against the real MariaDB and RabbitMQ, with tokens for projects A and B and an admin.</summary>
public abstract class NetworkApiTestBase(MySqlFixture mysql, RabbitMqFixture rabbit, string name) : IAsyncLifetime
{
    protected TestTokens Tokens { get; } = new();
    protected ServiceFactory<Program> Factory { get; private set; } = null!;
    protected HttpClient Http { get; private set; } = null!;
    protected string TransportUrl { get; private set; } = "";
    protected string A { get; private set; } = "";
    protected string B { get; private set; } = "";
    protected string Admin { get; private set; } = "";

    protected virtual IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["ml2_type_vlan:network_vlan_ranges"] = "physnet1:100:199",
        ["ml2_type_vxlan:vni_ranges"] = "1:5000",
        ["messaging:outbox_poll_interval_ms"] = "100",
    };

    public async Task InitializeAsync()
    {
        TransportUrl = await rabbit.NewVirtualHostAsync(name);
        Factory = new ServiceFactory<Program>(mysql.NewDatabase(name), TransportUrl, Settings) { Tokens = Tokens };
        await Factory.SyncAsync();
        Http = Factory.CreateClient();
        A = Tokens.Issue("project-a", "member", "reader");
        B = Tokens.Issue("project-b", "member", "reader");
        Admin = Tokens.Issue("project-admin", "admin", "member", "reader");
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Factory.DisposeAsync();
        Tokens.Dispose();
    }

    protected async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpMethod method, string path, string token, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add("X-Auth-Token", token);
        if (body is not null) request.Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.StartsWith('{') ? JsonDocument.Parse(text).RootElement.Clone() : default);
    }

    protected Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(string path, string token, object body) => SendAsync(HttpMethod.Post, path, token, body);
    protected Task<(HttpStatusCode Status, JsonElement Body)> PutAsync(string path, string token, object body) => SendAsync(HttpMethod.Put, path, token, body);
    protected Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(string path, string token) => SendAsync(HttpMethod.Get, path, token);

    protected async Task<JsonElement> CreateAsync(string collection, string resource, string token, object attributes)
    {
        var (status, body) = await PostAsync($"/v2.0/{collection}", token, new Dictionary<string, object> { [resource] = attributes });
        Assert.True(status == HttpStatusCode.Created, $"create {resource} answered {status}: {body}");
        return body.GetProperty(resource);
    }

    protected static string Id(JsonElement resource) => resource.GetProperty("id").GetString()!;

    protected static void AssertError(HttpStatusCode expectedStatus, string expectedType, (HttpStatusCode Status, JsonElement Body) answer)
    {
        Assert.True(answer.Status == expectedStatus, $"expected {expectedStatus}, got {answer.Status}: {answer.Body}");
        Assert.Equal(expectedType, answer.Body.GetProperty("NeutronError").GetProperty("type").GetString());
    }

    /// <summary>An admin's external flat network with a subnet, and project A's network, subnet and router joined to it.</summary>
    protected async Task<(string Public, string PublicSubnet, string Net, string Subnet, string Router)> TopologyAsync(string physnet, string cidr)
    {
        var pub = await CreateAsync("networks", "network", Admin, new Dictionary<string, object>
        {
            ["name"] = "public", ["router:external"] = true, ["provider:network_type"] = "flat", ["provider:physical_network"] = physnet,
        });
        var pubSubnet = await CreateAsync("subnets", "subnet", Admin, new { network_id = Id(pub), ip_version = 4, cidr = "203.0.113.0/24", enable_dhcp = false });
        var net = await CreateAsync("networks", "network", A, new { name = "net1" });
        var subnet = await CreateAsync("subnets", "subnet", A, new { network_id = Id(net), ip_version = 4, cidr });
        var router = await CreateAsync("routers", "router", A, new { name = "r1", external_gateway_info = new { network_id = Id(pub) } });
        return (Id(pub), Id(pubSubnet), Id(net), Id(subnet), Id(router));
    }
}
