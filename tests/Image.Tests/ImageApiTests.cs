// glance's image checksum is MD5 by its API: the test must compute the same digest.
#pragma warning disable CA5351
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using Image.Store;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using MySqlConnector;
using Platform.TestSupport;

namespace Image.Tests;

/// <summary>
/// The glance v2 API in-process on a real Kestrel port, against the real MariaDB and RabbitMQ,
/// with tokens for two projects (A and B) and an admin.
/// </summary>
public sealed class ImageApiTests(MySqlFixture mysql, RabbitMqFixture rabbit) : IClassFixture<MySqlFixture>, IClassFixture<RabbitMqFixture>, IAsyncLifetime
{
    private const string PatchType = "application/openstack-images-v2.1-json-patch";
    private readonly string store = Directory.CreateTempSubdirectory("image-store-").FullName;
    private readonly TestTokens tokens = new();
    private ServiceFactory<Program> factory = null!;
    private HttpClient http = null!;
    private Uri address = null!;
    private string a = "", b = "", readerA = "", admin = "";

    public async Task InitializeAsync()
    {
        factory = new ServiceFactory<Program>(mysql.NewDatabase("img"), await rabbit.NewVirtualHostAsync("img"), new Dictionary<string, string?>
        {
            ["glance_store:filesystem_store_datadir"] = store,
            ["quota:image_size_total"] = "64",
            ["image:saving_timeout"] = "60",
        }) { Tokens = tokens };
        factory.UseKestrel(0);
        factory.StartServer();
        await factory.SyncAsync();
        address = new Uri(factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(2) };
        a = tokens.Issue("project-a", "member", "reader");
        readerA = tokens.Issue("project-a", "reader");
        b = tokens.Issue("project-b", "member", "reader");
        admin = tokens.Issue("project-admin", "admin", "member", "reader");
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await factory.DisposeAsync();
        tokens.Dispose();
        Directory.Delete(store, recursive: true);
    }

    private async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> SendAsync(HttpMethod method, string path, string token,
        string? json = null, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add("X-Auth-Token", token);
        if (json is not null) request.Content = new StringContent(json, new MediaTypeHeaderValue(contentType));
        var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var body = text.StartsWith('{') ? JsonDocument.Parse(text).RootElement.Clone() : default;
        return (response.StatusCode, body, response);
    }

    private async Task<string> CreateAsync(string token, string json = """{"name":"img","disk_format":"raw","container_format":"bare"}""")
    {
        var (status, body, _) = await SendAsync(HttpMethod.Post, "/v2/images", token, json);
        Assert.Equal(HttpStatusCode.Created, status);
        return body.GetProperty("id").GetString()!;
    }

    private async Task<HttpStatusCode> UploadAsync(string id, string token, byte[] data, bool expectContinue = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/v2/images/{id}/file") { Content = new ByteArrayContent(data) };
        // With 100-continue the client waits for the server's go before sending: a refusal comes first.
        request.Headers.ExpectContinue = expectContinue;
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        request.Headers.Add("X-Auth-Token", token);
        return (await http.SendAsync(request)).StatusCode;
    }

    private async Task<JsonElement> ShowAsync(string id, string token)
    {
        var (status, body, _) = await SendAsync(HttpMethod.Get, $"/v2/images/{id}", token);
        Assert.Equal(HttpStatusCode.OK, status);
        return body;
    }

    private async Task<long> CountImagesAsync()
    {
        await using var c = new MySqlConnection(factory.Database);
        return await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM images");
    }

    private string[] StoreFiles() => Directory.GetFiles(store);

    [Fact]
    public async Task Data_goes_up_and_comes_back_identical_with_glance_s_digests()
    {
        var data = RandomNumberGenerator.GetBytes(9 * 1024 * 1024 + 123);
        var id = await CreateAsync(a);
        Assert.Equal("queued", (await ShowAsync(id, a)).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.NoContent, await UploadAsync(id, a, data));

        var image = await ShowAsync(id, a);
        Assert.Equal("active", image.GetProperty("status").GetString());
        Assert.Equal(data.Length, image.GetProperty("size").GetInt64());
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(data)), image.GetProperty("checksum").GetString());
        Assert.Equal("sha512", image.GetProperty("os_hash_algo").GetString());
        Assert.Equal(Convert.ToHexStringLower(SHA512.HashData(data)), image.GetProperty("os_hash_value").GetString());

        using var get = new HttpRequestMessage(HttpMethod.Get, $"/v2/images/{id}/file");
        get.Headers.Add("X-Auth-Token", a);
        var response = await http.SendAsync(get);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(data)), response.Content.Headers.NonValidated["Content-MD5"].ToString());
        Assert.Equal(data, await response.Content.ReadAsByteArrayAsync());

        using var range = new HttpRequestMessage(HttpMethod.Get, $"/v2/images/{id}/file");
        range.Headers.Add("X-Auth-Token", a);
        range.Headers.Range = new RangeHeaderValue(1000, 1999);
        var partial = await http.SendAsync(range);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(data[1000..2000], await partial.Content.ReadAsByteArrayAsync());
        Assert.Equal($"bytes 1000-1999/{data.Length}", partial.Content.Headers.ContentRange!.ToString());
    }

    [Fact]
    public async Task A_second_upload_to_an_active_image_is_a_409_and_changes_nothing()
    {
        var id = await CreateAsync(a);
        Assert.Equal(HttpStatusCode.NoContent, await UploadAsync(id, a, [1, 2, 3]));
        var before = await ShowAsync(id, a);
        Assert.Equal(HttpStatusCode.Conflict, await UploadAsync(id, a, [4, 5, 6, 7]));
        var after = await ShowAsync(id, a);
        Assert.Equal(before.GetProperty("checksum").GetString(), after.GetProperty("checksum").GetString());
        Assert.Equal(3, after.GetProperty("size").GetInt64());
    }

    [Fact]
    public async Task A_client_that_drops_the_connection_mid_upload_leaves_the_image_killed_and_no_file()
    {
        var id = await CreateAsync(a);
        using (var socket = new TcpClient())
        {
            await socket.ConnectAsync(address.Host, address.Port);
            var stream = socket.GetStream();
            var head = $"PUT /v2/images/{id}/file HTTP/1.1\r\nHost: {address.Authority}\r\nX-Auth-Token: {a}\r\n"
                + "Content-Type: application/octet-stream\r\nContent-Length: 20971520\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
            await stream.WriteAsync(RandomNumberGenerator.GetBytes(6 * 1024 * 1024));
            await stream.FlushAsync();
            // Part of the data is in; the client goes away without a word.
            Assert.True(await Eventually.TrueAsync(async () => (await ShowAsync(id, a)).GetProperty("status").GetString() == "saving", TimeSpan.FromSeconds(10)));
        }
        Assert.True(await Eventually.TrueAsync(async () => (await ShowAsync(id, a)).GetProperty("status").GetString() == "killed", TimeSpan.FromSeconds(15)));
        Assert.DoesNotContain(StoreFiles(), f => Path.GetFileName(f).StartsWith(id, StringComparison.Ordinal));
        var killed = await ShowAsync(id, a);
        Assert.Equal(JsonValueKind.Null, killed.GetProperty("size").ValueKind);
    }

    [Fact]
    public async Task A_private_image_is_unseen_by_another_project_until_shared_and_accepted()
    {
        var id = await CreateAsync(a, """{"name":"secret","visibility":"private","disk_format":"raw","container_format":"bare"}""");
        Assert.Equal(HttpStatusCode.NoContent, await UploadAsync(id, a, [9, 9, 9]));

        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, $"/v2/images/{id}", b)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, $"/v2/images/{id}/file", b)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Delete, $"/v2/images/{id}", b)).Status);
        Assert.DoesNotContain(id, await ListIdsAsync(b, ""));

        // A private image has no members: it must be shared first.
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Post, $"/v2/images/{id}/members", a, """{"member":"project-b"}""")).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Patch, $"/v2/images/{id}", a, """[{"op":"replace","path":"/visibility","value":"shared"}]""", PatchType)).Status);
        var (added, member, _) = await SendAsync(HttpMethod.Post, $"/v2/images/{id}/members", a, """{"member":"project-b"}""");
        Assert.Equal(HttpStatusCode.OK, added);
        Assert.Equal("pending", member.GetProperty("status").GetString());

        // Pending: B may look it up by id, but it is not in B's list until B accepts.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, $"/v2/images/{id}", b)).Status);
        Assert.DoesNotContain(id, await ListIdsAsync(b, ""));
        Assert.Contains(id, await ListIdsAsync(b, "?member_status=pending"));
        // Only B answers for B.
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Put, $"/v2/images/{id}/members/project-b", a, """{"status":"accepted"}""")).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, $"/v2/images/{id}/members/project-b", b, """{"status":"accepted"}""")).Status);

        Assert.Contains(id, await ListIdsAsync(b, ""));
        using var get = new HttpRequestMessage(HttpMethod.Get, $"/v2/images/{id}/file");
        get.Headers.Add("X-Auth-Token", b);
        Assert.Equal([9, 9, 9], await (await http.SendAsync(get)).Content.ReadAsByteArrayAsync());
        // B may use it, not change or delete it.
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Patch, $"/v2/images/{id}", b, """[{"op":"replace","path":"/name","value":"mine"}]""", PatchType)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Delete, $"/v2/images/{id}", b)).Status);
    }

    private async Task<List<string>> ListIdsAsync(string token, string query)
    {
        var (status, body, _) = await SendAsync(HttpMethod.Get, "/v2/images" + query, token);
        Assert.Equal(HttpStatusCode.OK, status);
        return [.. body.GetProperty("images").EnumerateArray().Select(i => i.GetProperty("id").GetString()!)];
    }

    [Fact]
    public async Task Bad_input_gets_glance_s_status_and_writes_nothing()
    {
        var before = await CountImagesAsync();
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Post, "/v2/images", a, "{\"name\": ")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Post, "/v2/images", a, """{"name":"x","status":"active"}""")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Post, "/v2/images", a, """{"name":"x","disk_format":"floppy"}""")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Post, "/v2/images", a, """{"name":"x","extra":42}""")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Post, "/v2/images", a, """{"name":"x","min_ram":-1}""")).Status);
        // Only an admin publishes.
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Post, "/v2/images", a, """{"name":"x","visibility":"public"}""")).Status);
        // A reader reads, and creates nothing.
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Post, "/v2/images", readerA, """{"name":"x"}""")).Status);
        Assert.Equal(before, await CountImagesAsync());

        var id = await CreateAsync(a, """{"name":"patched","disk_format":"raw","container_format":"bare","k":"v"}""");
        var original = await ShowAsync(id, a);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await SendAsync(HttpMethod.Patch, $"/v2/images/{id}", a, """[{"op":"replace","path":"/name","value":"y"}]""")).Status);
        Assert.Equal(HttpStatusCode.Conflict, (await SendAsync(HttpMethod.Patch, $"/v2/images/{id}", a, """[{"op":"replace","path":"/nope","value":"y"}]""", PatchType)).Status);
        Assert.Equal(HttpStatusCode.Conflict, (await SendAsync(HttpMethod.Patch, $"/v2/images/{id}", a, """[{"op":"remove","path":"/nope"}]""", PatchType)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Patch, $"/v2/images/{id}", a, """[{"op":"replace","path":"/size","value":1}]""", PatchType)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Patch, $"/v2/images/{id}", a, """[{"op":"remove","path":"/name"}]""", PatchType)).Status);
        // A batch with one bad change applies none of it.
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Patch, $"/v2/images/{id}", a,
            """[{"op":"replace","path":"/name","value":"renamed"},{"op":"replace","path":"/disk_format","value":"floppy"}]""", PatchType)).Status);
        var after = await ShowAsync(id, a);
        Assert.Equal(original.GetProperty("name").GetString(), after.GetProperty("name").GetString());
        Assert.Equal("v", after.GetProperty("k").GetString());

        var formatless = await CreateAsync(a, """{"name":"no-formats"}""");
        Assert.Equal(HttpStatusCode.BadRequest, await UploadAsync(formatless, a, [1]));
        Assert.Equal("queued", (await ShowAsync(formatless, a)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Patch_adds_replaces_and_removes_properties_and_tags()
    {
        var id = await CreateAsync(a);
        var (status, body, _) = await SendAsync(HttpMethod.Patch, $"/v2/images/{id}", a, """
            [{"op":"add","path":"/k","value":"v"},{"op":"replace","path":"/name","value":"renamed"},
             {"op":"add","path":"/tags","value":["t1","t2"]},{"op":"replace","path":"/min_ram","value":512}]
            """, PatchType);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("v", body.GetProperty("k").GetString());
        Assert.Equal("renamed", body.GetProperty("name").GetString());
        Assert.Equal(512, body.GetProperty("min_ram").GetInt32());
        Assert.Equal(["t1", "t2"], body.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));

        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Put, $"/v2/images/{id}/tags/t3", a)).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"/v2/images/{id}/tags/t1", a)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Delete, $"/v2/images/{id}/tags/t1", a)).Status);
        (_, body, _) = await SendAsync(HttpMethod.Patch, $"/v2/images/{id}", a, """[{"op":"remove","path":"/k"}]""", PatchType);
        Assert.False(body.TryGetProperty("k", out _));
        Assert.Equal(["t2", "t3"], body.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Contains(id, await ListIdsAsync(a, "?tag=t2&tag=t3"));
        Assert.DoesNotContain(id, await ListIdsAsync(a, "?tag=t1"));
    }

    [Fact]
    public async Task Lists_page_by_marker_in_the_asked_order()
    {
        var names = Enumerable.Range(0, 5).Select(i => $"page-{i}").ToList();
        foreach (var name in names.AsEnumerable().Reverse()) await CreateAsync(b, $$"""{"name":"{{name}}","paging":"yes"}""");
        var seen = new List<string>();
        var next = "/v2/images?paging=yes&sort_key=name&sort_dir=asc&limit=2";
        while (next is not null)
        {
            var (status, body, _) = await SendAsync(HttpMethod.Get, next, b);
            Assert.Equal(HttpStatusCode.OK, status);
            seen.AddRange(body.GetProperty("images").EnumerateArray().Select(i => i.GetProperty("name").GetString()!));
            next = body.TryGetProperty("next", out var n) ? n.GetString() : null;
        }
        Assert.Equal(names, seen);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Get, "/v2/images?sort_key=color", b)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Get, $"/v2/images?marker={Guid.NewGuid()}", b)).Status);
    }

    [Fact]
    public async Task An_upload_past_the_storage_quota_is_refused_and_keeps_nothing()
    {
        // 64 MiB per project in this class; project-quota has stored nothing yet.
        var quotaToken = tokens.Issue("project-quota", "member", "reader");
        var id = await CreateAsync(quotaToken);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, await UploadAsync(id, quotaToken, new byte[65 * 1024 * 1024], expectContinue: true));
        Assert.Equal("queued", (await ShowAsync(id, quotaToken)).GetProperty("status").GetString());
        Assert.DoesNotContain(StoreFiles(), f => Path.GetFileName(f).StartsWith(id, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Deactivated_images_refuse_downloads_to_all_but_admins_and_protected_ones_refuse_deletion()
    {
        var id = await CreateAsync(a, """{"name":"guarded","disk_format":"raw","container_format":"bare","protected":true}""");
        Assert.Equal(HttpStatusCode.NoContent, await UploadAsync(id, a, [7]));
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Post, $"/v2/images/{id}/actions/deactivate", a)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Get, $"/v2/images/{id}/file", a)).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, $"/v2/images/{id}/file", admin)).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Post, $"/v2/images/{id}/actions/reactivate", a)).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, $"/v2/images/{id}/file", a)).Status);

        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Delete, $"/v2/images/{id}", a)).Status);
        Assert.Contains(StoreFiles(), f => Path.GetFileName(f) == id);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Patch, $"/v2/images/{id}", a, """[{"op":"replace","path":"/protected","value":false}]""", PatchType)).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"/v2/images/{id}", a)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, $"/v2/images/{id}", a)).Status);
        Assert.DoesNotContain(StoreFiles(), f => Path.GetFileName(f) == id);
    }

    [Fact]
    public async Task An_upload_whose_process_died_is_killed_by_the_janitor()
    {
        var id = await CreateAsync(a);
        // What a process that died mid-upload leaves: the row in saving, untouched for long, and a partial file.
        await using (var c = new MySqlConnection(factory.Database))
            await c.ExecuteAsync("UPDATE images SET status = 'saving', updated_at = UTC_TIMESTAMP(6) - INTERVAL 10 MINUTE WHERE id = @id", new { id });
        var partial = Path.Combine(store, $"{id}.{Guid.NewGuid():N}.part");
        await File.WriteAllBytesAsync(partial, [1, 2, 3]);
        File.SetLastWriteTimeUtc(partial, DateTime.UtcNow.AddMinutes(-10));

        await factory.Services.GetRequiredService<SavingJanitor>().SweepAsync();
        Assert.Equal("killed", (await ShowAsync(id, a)).GetProperty("status").GetString());
        Assert.False(File.Exists(partial));
    }

    [Fact]
    public async Task A_service_reads_an_image_for_a_user_whose_token_has_expired()
    {
        var id = await CreateAsync(a);
        Assert.Equal(HttpStatusCode.NoContent, await UploadAsync(id, a, [4, 2]));
        var expired = tokens.Issue("project-a", DateTimeOffset.UtcNow.AddHours(-1), "member", "reader");
        var service = tokens.Issue("service", "service", "admin");

        using var alone = new HttpRequestMessage(HttpMethod.Get, $"/v2/images/{id}/file");
        alone.Headers.Add("X-Auth-Token", expired);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(alone)).StatusCode);

        using var withService = new HttpRequestMessage(HttpMethod.Get, $"/v2/images/{id}/file");
        withService.Headers.Add("X-Auth-Token", expired);
        withService.Headers.Add("X-Service-Token", service);
        var response = await http.SendAsync(withService);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([4, 2], await response.Content.ReadAsByteArrayAsync());
    }

    /// <summary>The catalog of a service that calls image: its endpoint, and that service's own token.</summary>
    private sealed class CallerCatalog(Uri image, string serviceToken) : Platform.Catalog.IServiceCatalog
    {
        public Task<Uri> GetEndpointAsync(string serviceType, string? @interface = null, string? region = null, CancellationToken ct = default) =>
            serviceType == Contracts.ImageClient.ServiceType ? Task.FromResult(image) : throw new Platform.Catalog.EndpointNotFoundException(serviceType, "internal", null);

        public Task<string> GetTokenAsync(CancellationToken ct = default) => Task.FromResult(serviceToken);

        public void InvalidateToken(string token) { }
    }

    [Fact]
    public async Task The_typed_client_reads_metadata_and_data_for_a_user_whose_token_has_expired()
    {
        var id = await CreateAsync(a, """{"name":"for-compute","disk_format":"qcow2","container_format":"bare","min_ram":64,"hw_disk_bus":"virtio"}""");
        var data = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 5);
        Assert.Equal(HttpStatusCode.NoContent, await UploadAsync(id, a, data));
        var privateOfB = await CreateAsync(b, """{"name":"not-yours","visibility":"private"}""");

        using var client = new HttpClient();
        var images = new Contracts.ImageClient(client, new CallerCatalog(address, tokens.Issue("service", "service", "admin")));
        // A build that outlived the user's token: the service token carries it.
        Platform.Context.RequestContextAccessor.Current = new Platform.Context.RequestContext
        {
            AuthToken = tokens.Issue("project-a", DateTimeOffset.UtcNow.AddMinutes(-30), "member", "reader"),
        };
        try
        {
            var info = await images.GetImageAsync(id);
            Assert.Equal("active", info.Status);
            Assert.Equal(64, info.MinRam);
            Assert.Equal("qcow2", info.DiskFormat);
            Assert.Equal("virtio", info.Properties["hw_disk_bus"].GetString());
            await using (var stream = await images.OpenDataAsync(id))
            {
                using var copy = new MemoryStream();
                await stream.CopyToAsync(copy);
                Assert.Equal(data, copy.ToArray());
            }
            // Still the user's view: another project's private image does not exist for it.
            await Assert.ThrowsAsync<Contracts.ImageNotFoundException>(() => images.GetImageAsync(privateOfB));
        }
        finally
        {
            Platform.Context.RequestContextAccessor.Current = null;
        }
    }

    [Fact]
    public async Task Versions_and_schemas_answer_as_glance_s_do()
    {
        var root = await http.GetAsync("/");
        Assert.Equal(HttpStatusCode.MultipleChoices, root.StatusCode);
        var versions = JsonDocument.Parse(await root.Content.ReadAsStringAsync()).RootElement.GetProperty("versions");
        Assert.Contains(versions.EnumerateArray(), v => v.GetProperty("status").GetString() == "CURRENT");
        var (status, schema, _) = await SendAsync(HttpMethod.Get, "/v2/schemas/image", a);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("string", schema.GetProperty("additionalProperties").GetProperty("type").GetString());
        Assert.True(schema.GetProperty("properties").GetProperty("status").GetProperty("readOnly").GetBoolean());
    }
}
