using System.Net;
using System.Text.Json;
using Conductor.Contracts;
using ActionNames = Conductor.Contracts.InstanceActions;
using Dapper;
using MySqlConnector;
using Platform.TestSupport;

namespace ComputeApi.Tests;

/// <summary>Server create, list, show, update and delete against a test conductor on the bus.</summary>
public sealed class ServersApiTests(MySqlFixture mysql, RabbitMqFixture rabbit)
    : ComputeApiTestBase(mysql, rabbit, "cservers"), IClassFixture<MySqlFixture>, IClassFixture<RabbitMqFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private async Task<string> CreateServerAsync(string token, object server, string? microversion = null)
    {
        var answer = await PostAsync("/v2.1/servers", token, new { server }, microversion);
        AssertStatus(HttpStatusCode.Accepted, answer);
        return answer.Body.GetProperty("server").GetProperty("id").GetString()!;
    }

    private async Task<JsonElement> ShowAsync(string id, string token, string? microversion = null)
    {
        var answer = await GetAsync($"/v2.1/servers/{id}", token, microversion);
        AssertStatus(HttpStatusCode.OK, answer);
        return answer.Body.GetProperty("server");
    }

    private async Task<int> CountAsync(string sql)
    {
        await using var c = new MySqlConnection(Database);
        await c.OpenAsync();
        return await c.ExecuteScalarAsync<int>(sql);
    }

    [Fact]
    public async Task A_new_server_is_listed_at_once_as_BUILD_then_follows_the_conductors_events()
    {
        var (flavor, image, network) = await BootBasicsAsync();
        var answer = await PostAsync("/v2.1/servers", A, new { server = new { name = "web-1", flavorRef = flavor, imageRef = image, networks = new[] { new { uuid = network } } } });
        AssertStatus(HttpStatusCode.Accepted, answer);
        var created = answer.Body.GetProperty("server");
        var id = created.GetProperty("id").GetString()!;
        Assert.Equal("MANUAL", created.GetProperty("OS-DCF:diskConfig").GetString());
        Assert.Equal(12, created.GetProperty("adminPass").GetString()!.Length);
        Assert.Equal("default", created.GetProperty("security_groups")[0].GetProperty("name").GetString());

        var listed = await GetAsync("/v2.1/servers/detail", A);
        var server = Assert.Single(listed.Body.GetProperty("servers").EnumerateArray());
        Assert.Equal(id, server.GetProperty("id").GetString());
        Assert.Equal("BUILD", server.GetProperty("status").GetString());
        Assert.Equal("scheduling", server.GetProperty("OS-EXT-STS:task_state").GetString());
        Assert.Equal("", server.GetProperty("hostId").GetString());
        Assert.Equal(flavor, server.GetProperty("flavor").GetProperty("id").GetString());
        Assert.Equal(image, server.GetProperty("image").GetProperty("id").GetString());
        Assert.False(server.TryGetProperty("OS-EXT-SRV-ATTR:host", out _));

        Assert.True(await Eventually.TrueAsync(() => !Conductor.Builds.IsEmpty, Wait), "the conductor never got build_instances");
        Assert.True(Conductor.Builds.TryPeek(out var build));
        var one = Assert.Single(build.Instances);
        Assert.Equal(id, one.Uuid);
        Assert.Equal("project-a", build.ProjectId);
        Assert.Equal(network, Assert.Single(build.Networks).NetworkId);
        Assert.Equal(512, build.Flavor.MemoryMb);

        // Versions 1 and 2: on a host, then active with an address.
        var v1 = TestConductor.Created(build, one) with { TaskState = TaskStates.Spawning, Host = "compute-7", Node = "compute-7" };
        await Conductor.PublishAsync(v1);
        var v2 = v1 with
        {
            Version = 2, VmState = VmStates.Active, TaskState = null, PowerState = PowerStates.Running, LaunchedAt = DateTime.UtcNow,
            NetworkInfo = [new VifInfo { PortId = "p1", NetworkId = network, NetworkLabel = "private-a", MacAddress = "fa:16:3e:11:22:33", Addresses = [new FixedAddress("10.0.0.5", 4)] }],
        };
        await Conductor.PublishAsync(v2);
        Assert.True(await Eventually.TrueAsync(async () => (await ShowAsync(id, A)).GetProperty("status").GetString() == "ACTIVE", Wait), "never ACTIVE");
        // An older event arriving late changes nothing.
        await Conductor.PublishAsync(v1 with { DisplayName = "stale" });
        var marker = v2 with { Version = 3, DisplayName = "web-1b" };
        await Conductor.PublishAsync(marker);
        Assert.True(await Eventually.TrueAsync(async () => (await ShowAsync(id, A)).GetProperty("name").GetString() == "web-1b", Wait));
        var active = await ShowAsync(id, A, "2.79");
        Assert.Equal("ACTIVE", active.GetProperty("status").GetString());
        var address = active.GetProperty("addresses").GetProperty("private-a")[0];
        Assert.Equal("10.0.0.5", address.GetProperty("addr").GetString());
        Assert.Equal("fixed", address.GetProperty("OS-EXT-IPS:type").GetString());
        Assert.Equal("fa:16:3e:11:22:33", address.GetProperty("OS-EXT-IPS-MAC:mac_addr").GetString());
        Assert.Equal(56, active.GetProperty("hostId").GetString()!.Length);
        Assert.Equal(512, active.GetProperty("flavor").GetProperty("ram").GetInt32());
        Assert.False(active.GetProperty("locked").GetBoolean());
        Assert.Equal(JsonValueKind.Null, active.GetProperty("trusted_image_certificates").ValueKind);
        Assert.Equal(0, active.GetProperty("tags").GetArrayLength());
        Assert.Equal(1, active.GetProperty("OS-EXT-STS:power_state").GetInt32());
        Assert.Equal(0, await CountAsync($"SELECT COUNT(*) FROM build_requests WHERE instance_uuid = '{id}'"));

        var asAdmin = await ShowAsync(id, Admin, "2.79");
        Assert.Equal("compute-7", asAdmin.GetProperty("OS-EXT-SRV-ATTR:host").GetString());
        Assert.Equal("UP", asAdmin.GetProperty("host_status").GetString());

        Assert.Equal($"Instance {id} could not be found.", AssertError(HttpStatusCode.NotFound, await GetAsync($"/v2.1/servers/{id}", B)));
        Assert.Empty((await GetAsync("/v2.1/servers", B)).Body.GetProperty("servers").EnumerateArray());
        Assert.Single((await GetAsync("/v2.1/servers?all_tenants=1", Admin)).Body.GetProperty("servers").EnumerateArray());
        Assert.Single((await GetAsync("/v2.1/servers?status=ACTIVE", A)).Body.GetProperty("servers").EnumerateArray());
        Assert.Empty((await GetAsync("/v2.1/servers?status=SHUTOFF", A)).Body.GetProperty("servers").EnumerateArray());
        Assert.Single((await GetAsync("/v2.1/servers?name=^web", A)).Body.GetProperty("servers").EnumerateArray());
        Assert.Single((await GetAsync("/v2.1/servers?ip=10.0.0", A)).Body.GetProperty("servers").EnumerateArray());
        Assert.Empty((await GetAsync("/v2.1/servers?ip=10.9.", A)).Body.GetProperty("servers").EnumerateArray());

        // Deleted by the conductor: gone for the project, kept for an admin's deleted filter, quota freed.
        await Conductor.PublishAsync(marker with { Version = 4, VmState = VmStates.Deleted, Deleted = true, DeletedAt = DateTime.UtcNow, TerminatedAt = DateTime.UtcNow });
        Assert.True(await Eventually.TrueAsync(async () => (await GetAsync($"/v2.1/servers/{id}", A)).Status == HttpStatusCode.NotFound, Wait), "never deleted");
        Assert.Empty((await GetAsync("/v2.1/servers", A)).Body.GetProperty("servers").EnumerateArray());
        var deleted = Assert.Single((await GetAsync("/v2.1/servers/detail?all_tenants=1&deleted=true", Admin)).Body.GetProperty("servers").EnumerateArray());
        Assert.Equal("DELETED", deleted.GetProperty("status").GetString());
        Assert.Equal(0, (await GetAsync("/v2.1/limits", A)).Body.GetProperty("limits").GetProperty("absolute").GetProperty("totalInstancesUsed").GetInt32());
    }

    [Fact]
    public async Task Update_and_delete_go_through_the_conductor_and_its_conflict_becomes_409()
    {
        Conductor.AutoBuild = true;
        var (flavor, image, network) = await BootBasicsAsync();
        var id = await CreateServerAsync(A, new { name = "u1", flavorRef = flavor, imageRef = image, networks = "auto" }, "2.37");
        Assert.True(await Eventually.TrueAsync(async () => (await ShowAsync(id, A)).GetProperty("status").GetString() == "ACTIVE", Wait));

        var updated = await PutAsync($"/v2.1/servers/{id}", A, new { server = new { name = "u1-renamed", description = "d" } }, "2.19");
        AssertStatus(HttpStatusCode.OK, updated);
        Assert.Equal("u1-renamed", updated.Body.GetProperty("server").GetProperty("name").GetString());
        var update = Assert.Single(Conductor.Actions, a => a.Action == ActionNames.Update);
        Assert.Equal("u1-renamed", update.DisplayName);
        Assert.Equal("d", update.DisplayDescription);

        Conductor.OnAction = a => a.Action == ActionNames.Pause
            ? new InstanceActionReply { ConflictMessage = $"Cannot 'pause' instance {a.InstanceUuid} while it is in vm_state stopped" }
            : new InstanceActionReply { Accepted = true };
        Assert.Equal($"Cannot 'pause' instance {id} while it is in vm_state stopped",
            AssertError(HttpStatusCode.Conflict, await PostAsync($"/v2.1/servers/{id}/action", A, new { pause = (object?)null })));
        AssertStatus(HttpStatusCode.Accepted, await PostAsync($"/v2.1/servers/{id}/action", A, new { reboot = new { type = "HARD" } }));
        Assert.Equal("HARD", Assert.Single(Conductor.Actions, a => a.Action == ActionNames.Reboot).RebootType);
        AssertError(HttpStatusCode.BadRequest, await PostAsync($"/v2.1/servers/{id}/action", A, new { reboot = new { type = "GENTLE" } }));
        AssertError(HttpStatusCode.BadRequest, await PostAsync($"/v2.1/servers/{id}/action", A, new { dance = new { } }));
        AssertError(HttpStatusCode.NotFound, await PostAsync($"/v2.1/servers/{id}/action", B, new { os_stop = (object?)null }));
        var console = await PostAsync($"/v2.1/servers/{id}/action", A, new Dictionary<string, object> { ["os-getConsoleOutput"] = new { length = 5 } });
        AssertStatus(HttpStatusCode.OK, console);
        Assert.StartsWith("line 1", console.Body.GetProperty("output").GetString());
        AssertError(HttpStatusCode.Forbidden, await PostAsync($"/v2.1/servers/{id}/action", ReaderA, new Dictionary<string, object?> { ["os-stop"] = null }));

        AssertStatus(HttpStatusCode.NoContent, await DeleteAsync($"/v2.1/servers/{id}", A));
        Assert.Single(Conductor.Actions, a => a.Action == ActionNames.Delete && a.InstanceUuid == id);
        Conductor.OnAction = a => new InstanceActionReply { NotFound = true };
        AssertError(HttpStatusCode.NotFound, await DeleteAsync($"/v2.1/servers/{id}", A));
    }

    [Fact]
    public async Task Bad_requests_are_400_and_write_nothing()
    {
        var (flavor, image, network) = await BootBasicsAsync();
        var inactive = Peers.AddImage("queued-one", status: "queued");
        var big = Peers.AddImage("big", minRam: 4096);
        var cases = new (object Server, string? Message)[]
        {
            (new { flavorRef = flavor, imageRef = image, networks = new[] { new { uuid = network } } }, null),
            (new { name = "x", flavorRef = "no-such-flavor", imageRef = image }, "Invalid flavorRef provided."),
            (new { name = "x", flavorRef = flavor, imageRef = Guid.NewGuid().ToString() }, "Can not find requested image"),
            (new { name = "x", flavorRef = flavor, imageRef = "not-a-uuid" }, "Invalid imageRef provided."),
            (new { name = "x", flavorRef = flavor, imageRef = inactive }, $"Image {inactive} is not active."),
            (new { name = "x", flavorRef = flavor, imageRef = big }, "Flavor's memory is too small for requested image."),
            (new { name = "x", flavorRef = flavor, imageRef = image, networks = new[] { new { uuid = "bad" } } }, "Bad networks format: network uuid is not in proper format (bad)"),
            (new { name = "x", flavorRef = flavor, imageRef = image, networks = new[] { new { uuid = Guid.NewGuid().ToString() } } }, null),
            (new { name = "x", flavorRef = flavor, imageRef = image, key_name = "nope" }, "Invalid key_name provided."),
            (new { name = "x", flavorRef = flavor, imageRef = image, user_data = "%%%not base64" }, "User data needs to be valid base 64."),
            (new { name = "x", flavorRef = flavor, imageRef = image, availability_zone = "nowhere" }, "The requested availability zone is not available"),
            (new { name = "x", flavorRef = flavor, imageRef = image, min_count = 3, max_count = 2 }, "min_count must be <= max_count"),
            // Block devices refused before any volume is touched.
            (new { name = "x", flavorRef = flavor, imageRef = "", block_device_mapping_v2 = new object[] { new { source_type = "volume", destination_type = "volume", boot_index = 0 } } },
                "Block Device Mapping is Invalid: volume uuid is missing or not a uuid ()."),
            (new { name = "x", flavorRef = flavor, imageRef = "", block_device_mapping_v2 = new object[] { new { source_type = "image", uuid = image, destination_type = "volume", boot_index = "0" } } },
                "Block Device Mapping is Invalid: Images with destination_type 'volume' need to have a non-zero size specified"),
            (new { name = "x", flavorRef = flavor, imageRef = "", block_device_mapping_v2 = new object[] { new { source_type = "blank", destination_type = "volume", boot_index = 1, volume_size = 1 } } },
                "Block Device Mapping is Invalid: Boot sequence for the instance and image/block device mapping combination is not valid."),
            (new { name = "x", flavorRef = flavor, imageRef = image, block_device_mapping_v2 = new object[] { new { source_type = "image", uuid = image, destination_type = "volume", boot_index = 0, volume_size = 1 } } },
                "Block Device Mapping is Invalid: Boot sequence for the instance and image/block device mapping combination is not valid."),
            (new { name = "x", flavorRef = flavor, imageRef = image, max_count = 2, block_device_mapping_v2 = new object[] { new { source_type = "volume", uuid = Guid.NewGuid().ToString(), destination_type = "volume" } } },
                "Cannot attach one or more volumes to multiple instances"),
            (new { name = "x", flavorRef = flavor, imageRef = image, block_device_mapping_v2 = new object[] { new { source_type = "blank", destination_type = "local", volume_size = 1 } } },
                "Block Device Mapping is Invalid: local disks other than the image's root disk are not supported by this cloud."),
            (new { name = "x", flavorRef = flavor, imageRef = "" }, "Missing imageRef attribute"),
        };
        foreach (var (server, message) in cases)
        {
            var answer = await PostAsync("/v2.1/servers", A, new { server });
            var text = AssertError(HttpStatusCode.BadRequest, answer);
            if (message is not null) Assert.Equal(message, text);
        }
        AssertError(HttpStatusCode.BadRequest, await PostAsync("/v2.1/servers", A, new { server = new { name = "x", flavorRef = flavor, imageRef = image } }, "2.37"));
        AssertError(HttpStatusCode.BadRequest, await PostAsync("/v2.1/servers", A, new { nothing = 1 }));
        Assert.Equal(0, await CountAsync("SELECT COUNT(*) FROM instances"));
        Assert.Equal(0, await CountAsync("SELECT COUNT(*) FROM build_requests"));
        Assert.Equal(0, await CountAsync("SELECT COUNT(*) FROM outbox_messages"));
        Assert.Empty(Conductor.Builds);
    }

    [Fact]
    public async Task Several_usable_networks_need_a_choice()
    {
        var (flavor, image, _) = await BootBasicsAsync();
        Peers.AddNetwork("project-a", "second");
        Assert.Equal("Multiple possible networks found, use a Network ID to be more specific.",
            AssertError(HttpStatusCode.Conflict, await PostAsync("/v2.1/servers", A, new { server = new { name = "x", flavorRef = flavor, imageRef = image, networks = "auto" } }, "2.37")));
        var none = await PostAsync("/v2.1/servers", A, new { server = new { name = "x", flavorRef = flavor, imageRef = image, networks = "none" } }, "2.37");
        AssertStatus(HttpStatusCode.Accepted, none);
        Assert.True(await Eventually.TrueAsync(() => !Conductor.Builds.IsEmpty, Wait));
        Assert.True(Conductor.Builds.TryPeek(out var build));
        Assert.True(build.NoNetworks);
    }

    [Fact]
    public async Task Access_to_a_private_flavor_given_elsewhere_is_seen_by_the_next_create()
    {
        var (_, image, _) = await BootBasicsAsync();
        var flavor = await CreateFlavorAsync("private-" + Guid.NewGuid().ToString("N")[..6], isPublic: false);
        object Server() => new { server = new { name = "p", flavorRef = flavor, imageRef = image, networks = "none" } };
        Assert.Equal("Invalid flavorRef provided.", AssertError(HttpStatusCode.BadRequest, await PostAsync("/v2.1/servers", A, Server(), "2.37")));

        // Given by another replica of the API: only the database knows.
        await using (var c = new MySqlConnection(Database))
        {
            await c.ExecuteAsync("""
                INSERT INTO flavor_projects (flavor_internal_id, project_id)
                SELECT internal_id, 'project-a' FROM flavors WHERE flavorid = @flavor
                """, new { flavor });
        }
        AssertStatus(HttpStatusCode.Accepted, await PostAsync("/v2.1/servers", A, Server(), "2.37"));
        Assert.Equal("Invalid flavorRef provided.", AssertError(HttpStatusCode.BadRequest, await PostAsync("/v2.1/servers", B, Server(), "2.37")));
    }

    [Fact]
    public async Task The_sixth_server_over_a_quota_of_five_is_refused_with_nothing_written_or_cast()
    {
        AssertStatus(HttpStatusCode.OK, await PutAsync("/v2.1/os-quota-sets/project-a", Admin, new { quota_set = new { instances = 5 } }));
        var (flavor, image, network) = await BootBasicsAsync();
        var creates = Enumerable.Range(0, 5).Select(i => PostAsync("/v2.1/servers", A,
            new { server = new { name = $"q{i}", flavorRef = flavor, imageRef = image, networks = new[] { new { uuid = network } } } }));
        foreach (var answer in await Task.WhenAll(creates)) AssertStatus(HttpStatusCode.Accepted, answer);
        Assert.True(await Eventually.TrueAsync(() => Conductor.Builds.Count == 5, Wait));
        Assert.True(await Eventually.TrueAsync(async () => await CountAsync("SELECT COUNT(*) FROM outbox_messages") == 0, Wait), "the outbox never emptied");

        var refused = await PostAsync("/v2.1/servers", A, new { server = new { name = "q6", flavorRef = flavor, imageRef = image, networks = new[] { new { uuid = network } } } });
        Assert.Equal("Quota exceeded for instances: Requested 1, but already used 5 of 5 instances", AssertError(HttpStatusCode.Forbidden, refused));
        Assert.Equal(5, await CountAsync("SELECT COUNT(*) FROM instances WHERE project_id = 'project-a'"));
        Assert.Equal(0, await CountAsync("SELECT COUNT(*) FROM outbox_messages"));
        Assert.False(await Eventually.TrueAsync(() => Conductor.Builds.Count > 5, TimeSpan.FromSeconds(1)), "a sixth build_instances was cast");

        var limits = (await GetAsync("/v2.1/limits", A)).Body.GetProperty("limits").GetProperty("absolute");
        Assert.Equal(5, limits.GetProperty("maxTotalInstances").GetInt32());
        Assert.Equal(5, limits.GetProperty("totalInstancesUsed").GetInt32());
        Assert.Equal(5, limits.GetProperty("totalCoresUsed").GetInt32());
        Assert.Equal(2560, limits.GetProperty("totalRAMUsed").GetInt32());

        // Concurrent creates over the limit: exactly as many pass as the quota has room for.
        AssertStatus(HttpStatusCode.OK, await PutAsync("/v2.1/os-quota-sets/project-a", Admin, new { quota_set = new { instances = 8 } }));
        var racing = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => PostAsync("/v2.1/servers", A,
            new { server = new { name = $"r{i}", flavorRef = flavor, imageRef = image, networks = new[] { new { uuid = network } } } })));
        Assert.Equal(3, racing.Count(r => r.Status == HttpStatusCode.Accepted));
        Assert.Equal(3, racing.Count(r => r.Status == HttpStatusCode.Forbidden));
        Assert.Equal(8, await CountAsync("SELECT COUNT(*) FROM instances WHERE project_id = 'project-a'"));
    }

    [Fact]
    public async Task Metadata_and_tags_go_through_the_conductor()
    {
        Conductor.AutoBuild = true;
        var (flavor, image, network) = await BootBasicsAsync();
        var id = await CreateServerAsync(A, new { name = "m1", flavorRef = flavor, imageRef = image, networks = new[] { new { uuid = network } }, metadata = new { a = "1" }, tags = new[] { "t1" } }, "2.52");
        Assert.True(await Eventually.TrueAsync(async () => (await ShowAsync(id, A)).GetProperty("status").GetString() == "ACTIVE", Wait));
        Assert.Equal("1", (await GetAsync($"/v2.1/servers/{id}/metadata", A)).Body.GetProperty("metadata").GetProperty("a").GetString());
        var merged = await PostAsync($"/v2.1/servers/{id}/metadata", A, new { metadata = new { b = "2" } });
        AssertStatus(HttpStatusCode.OK, merged);
        Assert.Equal(2, merged.Body.GetProperty("metadata").EnumerateObject().Count());
        var sent = Assert.Single(Conductor.Actions, a => a.Metadata is not null);
        Assert.Equal("2", sent.Metadata!["b"]);
        AssertError(HttpStatusCode.BadRequest, await PutAsync($"/v2.1/servers/{id}/metadata/x", A, new { meta = new { y = "1" } }));
        AssertError(HttpStatusCode.NotFound, await GetAsync($"/v2.1/servers/{id}/metadata/zzz", A));

        Assert.Equal("t1", (await GetAsync($"/v2.1/servers/{id}/tags", A, "2.26")).Body.GetProperty("tags")[0].GetString());
        AssertStatus(HttpStatusCode.Created, await PutAsync($"/v2.1/servers/{id}/tags/t2", A, new { }, "2.26"));
        var tagged = Assert.Single(Conductor.Actions, a => a.Tags is not null);
        Assert.Equal(["t1", "t2"], tagged.Tags!);
        Assert.Single((await GetAsync("/v2.1/servers?tags=t1", A, "2.26")).Body.GetProperty("servers").EnumerateArray());
        Assert.Empty((await GetAsync("/v2.1/servers?not-tags=t1", A, "2.26")).Body.GetProperty("servers").EnumerateArray());
        AssertError(HttpStatusCode.BadRequest, await PutAsync($"/v2.1/servers/{id}/tags", A, new { tags = new[] { "a/b" } }, "2.26"));
    }

    [Fact]
    public async Task Paging_follows_servers_links()
    {
        Conductor.AutoBuild = true;
        var (flavor, image, network) = await BootBasicsAsync();
        for (var i = 0; i < 3; i++)
            await CreateServerAsync(A, new { name = $"p{i}", flavorRef = flavor, imageRef = image, networks = new[] { new { uuid = network } } });
        var first = await GetAsync("/v2.1/servers?limit=2", A);
        Assert.Equal(2, first.Body.GetProperty("servers").GetArrayLength());
        var next = first.Body.GetProperty("servers_links")[0].GetProperty("href").GetString()!;
        var second = await GetAsync(new Uri(next).PathAndQuery, A);
        AssertStatus(HttpStatusCode.OK, second);
        Assert.Single(second.Body.GetProperty("servers").EnumerateArray());
        var all = first.Body.GetProperty("servers").EnumerateArray().Concat(second.Body.GetProperty("servers").EnumerateArray()).Select(s => s.GetProperty("name").GetString()).ToList();
        Assert.Equal(["p2", "p1", "p0"], all);
        AssertError(HttpStatusCode.BadRequest, await GetAsync("/v2.1/servers?sort_key=bogus", A));
    }
}
