using System.Net;
using System.Net.Http.Headers;
using Dapper;
using MySqlConnector;
using Platform.TestSupport;

namespace Image.Tests;

/// <summary>The per-project image count (<c>quota:image_count_total</c>), here two images.</summary>
public sealed class ImageQuotaTests(MySqlFixture mysql, RabbitMqFixture rabbit) : IClassFixture<MySqlFixture>, IClassFixture<RabbitMqFixture>, IAsyncLifetime
{
    private readonly string store = Directory.CreateTempSubdirectory("image-quota-").FullName;
    private readonly TestTokens tokens = new();
    private ServiceFactory<Program> factory = null!;

    public async Task InitializeAsync()
    {
        factory = new ServiceFactory<Program>(mysql.NewDatabase("imgquota"), await rabbit.NewVirtualHostAsync("imgquota"), new Dictionary<string, string?>
        {
            ["glance_store:filesystem_store_datadir"] = store,
            ["quota:image_count_total"] = "2",
        }) { Tokens = tokens };
        await factory.SyncAsync();
    }

    public async Task DisposeAsync()
    {
        await factory.DisposeAsync();
        tokens.Dispose();
        Directory.Delete(store, recursive: true);
    }

    private async Task<HttpStatusCode> CreateAsync(HttpClient http, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/images") { Content = new StringContent("""{"name":"counted"}""", new MediaTypeHeaderValue("application/json")) };
        request.Headers.Add("X-Auth-Token", token);
        return (await http.SendAsync(request)).StatusCode;
    }

    [Fact]
    public async Task A_project_at_its_image_count_gets_a_413_and_nothing_is_created()
    {
        using var http = factory.CreateClient();
        var full = tokens.Issue("project-full", "member", "reader");
        Assert.Equal(HttpStatusCode.Created, await CreateAsync(http, full));
        Assert.Equal(HttpStatusCode.Created, await CreateAsync(http, full));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, await CreateAsync(http, full));
        await using var c = new MySqlConnection(factory.Database);
        Assert.Equal(2, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM images WHERE owner = 'project-full'"));
        // Another project has its own count.
        Assert.Equal(HttpStatusCode.Created, await CreateAsync(http, tokens.Issue("project-other", "member", "reader")));
    }

    [Fact]
    public async Task Creates_racing_for_the_last_places_never_pass_the_count()
    {
        using var http = factory.CreateClient();
        var racing = tokens.Issue("project-racing", "member", "reader");
        var statuses = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => CreateAsync(http, racing)));
        Assert.Equal(2, statuses.Count(s => s == HttpStatusCode.Created));
        Assert.All(statuses.Where(s => s != HttpStatusCode.Created), s => Assert.Equal(HttpStatusCode.RequestEntityTooLarge, s));
        await using var c = new MySqlConnection(factory.Database);
        Assert.Equal(2, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM images WHERE owner = 'project-racing'"));
    }
}
