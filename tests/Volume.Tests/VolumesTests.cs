using System.Net;
using System.Text.Json;
using Dapper;
using Platform.TestSupport;

namespace Volume.Tests;

/// <summary>
/// Volumes through the API, the scheduler and the file backend in one process, on the real
/// MariaDB and RabbitMQ: what is made on disk, the states a volume passes through, and cinder's
/// refusals, each of which changes nothing.
/// </summary>
public sealed class VolumesTests(MySqlFixture mysql, RabbitMqFixture rabbit)
    : VolumeApiTestBase(mysql, rabbit, "volumes"), IClassFixture<MySqlFixture>, IClassFixture<RabbitMqFixture>
{
    private const long GiB = 1L << 30;

    private async Task<JsonElement> CreateAsync(object volume, string? token = null, string? microversion = null)
    {
        var answer = await PostAsync("/v3/volumes", token ?? A, new { volume }, microversion);
        AssertStatus(HttpStatusCode.Accepted, answer);
        return answer.Body.GetProperty("volume");
    }

    private async Task<JsonElement> WaitForAsync(string id, string status, string? token = null, string collection = "volumes", string member = "volume")
    {
        JsonElement last = default;
        var reached = await Eventually.TrueAsync(async () =>
        {
            var answer = await GetAsync($"/v3/{collection}/{id}", token ?? A, "3.60");
            last = answer.Body.GetProperty(member);
            return last.GetProperty("status").GetString() == status;
        }, TimeSpan.FromSeconds(20));
        Assert.True(reached, $"{member} {id} did not become {status}: {last}");
        return last;
    }

    private string FileOf(string volumeId) => Path.Combine(VolumesDirectory, $"volume-{volumeId}");

    [Fact]
    public async Task An_empty_volume_becomes_available_as_a_sparse_file_of_its_size()
    {
        var created = await CreateAsync(new { size = 1, name = "v1", metadata = new { k = "v" } });
        Assert.Equal("creating", created.GetProperty("status").GetString());
        Assert.Equal("v1", created.GetProperty("name").GetString());
        Assert.Equal("__DEFAULT__", created.GetProperty("volume_type").GetString());
        Assert.Equal("nova", created.GetProperty("availability_zone").GetString());
        var id = created.GetProperty("id").GetString()!;

        var shown = await WaitForAsync(id, "available");
        Assert.Equal("false", shown.GetProperty("bootable").GetString());
        Assert.Equal("v", shown.GetProperty("metadata").GetProperty("k").GetString());
        Assert.Equal(ProjectA, shown.GetProperty("os-vol-tenant-attr:tenant_id").GetString());
        Assert.False(shown.TryGetProperty("os-vol-host-attr:host", out _));
        Assert.Equal(GiB, new FileInfo(FileOf(id)).Length);

        var admin = (await GetAsync($"/v3/volumes/{id}", Admin)).Body.GetProperty("volume");
        Assert.Equal("test-host@file#file", admin.GetProperty("os-vol-host-attr:host").GetString());

        var list = await GetAsync("/v3/volumes", A);
        Assert.Contains(list.Body.GetProperty("volumes").EnumerateArray(), v => v.GetProperty("id").GetString() == id);
        var detail = await GetAsync("/v3/volumes/detail?name=v1", A);
        Assert.Single(detail.Body.GetProperty("volumes").EnumerateArray());
    }

    [Fact]
    public async Task Another_project_neither_sees_nor_touches_a_volume()
    {
        var id = (await CreateAsync(new { size = 1 })).GetProperty("id").GetString()!;
        AssertError(HttpStatusCode.NotFound, "itemNotFound", await GetAsync($"/v3/volumes/{id}", B));
        AssertError(HttpStatusCode.NotFound, "itemNotFound", await DeleteAsync($"/v3/volumes/{id}", B));
        var list = await GetAsync("/v3/volumes", B);
        Assert.DoesNotContain(list.Body.GetProperty("volumes").EnumerateArray(), v => v.GetProperty("id").GetString() == id);
        await WaitForAsync(id, "available");
    }

    [Fact]
    public async Task A_snapshot_and_a_volume_made_from_it_and_a_clone_carry_the_bytes()
    {
        var id = (await CreateAsync(new { size = 1 })).GetProperty("id").GetString()!;
        await WaitForAsync(id, "available");
        var marker = "written before the snapshot"u8.ToArray();
        await using (var f = new FileStream(FileOf(id), FileMode.Open, FileAccess.Write))
        {
            f.Position = 4096;
            await f.WriteAsync(marker);
        }

        var snap = await PostAsync("/v3/snapshots", A, new { snapshot = new { volume_id = id, name = "s1" } });
        AssertStatus(HttpStatusCode.Accepted, snap);
        var snapId = snap.Body.GetProperty("snapshot").GetProperty("id").GetString()!;
        var snapshot = await WaitForAsync(snapId, "available", collection: "snapshots", member: "snapshot");
        Assert.Equal(1, snapshot.GetProperty("size").GetInt32());

        // A volume with a snapshot cannot go.
        var refused = AssertError(HttpStatusCode.BadRequest, "badRequest", await DeleteAsync($"/v3/volumes/{id}", A));
        Assert.Contains("must not be migrating, attached, belong to a group, have snapshots", refused);

        var fromSnap = (await CreateAsync(new { snapshot_id = snapId, name = "v3", size = 2 })).GetProperty("id").GetString()!;
        var v3 = await WaitForAsync(fromSnap, "available");
        Assert.Equal(snapId, v3.GetProperty("snapshot_id").GetString());
        var clone = (await CreateAsync(new { source_volid = id })).GetProperty("id").GetString()!;
        await WaitForAsync(clone, "available");

        foreach (var (copy, size) in new[] { (fromSnap, 2 * GiB), (clone, GiB) })
        {
            Assert.Equal(size, new FileInfo(FileOf(copy)).Length);
            await using var f = File.OpenRead(FileOf(copy));
            f.Position = 4096;
            var read = new byte[marker.Length];
            await f.ReadExactlyAsync(read);
            Assert.Equal(marker, read);
        }

        AssertStatus(HttpStatusCode.Accepted, await DeleteAsync($"/v3/snapshots/{snapId}", A));
        Assert.True(await Eventually.TrueAsync(async () => (await GetAsync($"/v3/snapshots/{snapId}", A)).Status == HttpStatusCode.NotFound, TimeSpan.FromSeconds(20)));
        AssertStatus(HttpStatusCode.Accepted, await DeleteAsync($"/v3/volumes/{id}", A));
        Assert.True(await Eventually.TrueAsync(async () => (await GetAsync($"/v3/volumes/{id}", A)).Status == HttpStatusCode.NotFound, TimeSpan.FromSeconds(20)));
        Assert.False(File.Exists(FileOf(id)));
    }

    [Fact]
    public async Task Extend_grows_the_volume_and_a_smaller_size_is_refused()
    {
        var id = (await CreateAsync(new { size = 1 })).GetProperty("id").GetString()!;
        await WaitForAsync(id, "available");

        var refused = AssertError(HttpStatusCode.BadRequest, "badRequest", await PostAsync($"/v3/volumes/{id}/action", A, new { os_extend_placeholder = 0 }));
        Assert.Contains("There is no such action", refused);
        refused = AssertError(HttpStatusCode.BadRequest, "badRequest", await PostAsync($"/v3/volumes/{id}/action", A, JsonSerializer.Serialize(new Dictionary<string, object> { ["os-extend"] = new { new_size = 1 } })));
        Assert.Equal("Invalid input received: New size for extend must be greater than current size. (current: 1, extended: 1).", refused);
        Assert.Equal(1, (await GetAsync($"/v3/volumes/{id}", A)).Body.GetProperty("volume").GetProperty("size").GetInt32());

        AssertStatus(HttpStatusCode.Accepted, await PostAsync($"/v3/volumes/{id}/action", A, JsonSerializer.Serialize(new Dictionary<string, object> { ["os-extend"] = new { new_size = 2 } })));
        var extended = await WaitForAsync(id, "available");
        Assert.Equal(2, extended.GetProperty("size").GetInt32());
        Assert.Equal(2 * GiB, new FileInfo(FileOf(id)).Length);
    }

    [Fact]
    public async Task Over_quota_creates_and_extends_are_refused_with_cinders_413_and_write_nothing()
    {
        AssertStatus(HttpStatusCode.OK, await PutAsync($"/v3/os-quota-sets/{ProjectB}", Admin, new { quota_set = new { gigabytes = 5, volumes = 2 } }));
        var message = AssertError(HttpStatusCode.RequestEntityTooLarge, "overLimit", await PostAsync("/v3/volumes", B, new { volume = new { size = 6 } }));
        Assert.Equal("Requested volume or snapshot exceeds allowed gigabytes quota. Requested 6G, quota is 5G and 0G has been consumed.", message);

        var first = (await CreateAsync(new { size = 2 }, B)).GetProperty("id").GetString()!;
        await CreateAsync(new { size = 1 }, B);
        message = AssertError(HttpStatusCode.RequestEntityTooLarge, "overLimit", await PostAsync("/v3/volumes", B, new { volume = new { size = 1 } }));
        Assert.Equal("Maximum number of volumes allowed (2) exceeded for quota 'volumes'.", message);
        await WaitForAsync(first, "available", B);
        message = AssertError(HttpStatusCode.RequestEntityTooLarge, "overLimit",
            await PostAsync($"/v3/volumes/{first}/action", B, JsonSerializer.Serialize(new Dictionary<string, object> { ["os-extend"] = new { new_size = 5 } })));
        Assert.Equal("Requested volume or snapshot exceeds allowed gigabytes quota. Requested 3G, quota is 5G and 3G has been consumed.", message);

        await using var c = await OpenAsync();
        Assert.Equal(2, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM volumes WHERE project_id = @ProjectB AND deleted = 0", new { ProjectB }));
        Assert.Equal(2, await c.ExecuteScalarAsync<int>("SELECT size FROM volumes WHERE id = @first", new { first }));
        Assert.Equal("available", await c.ExecuteScalarAsync<string>("SELECT status FROM volumes WHERE id = @first", new { first }));
    }

    [Fact]
    public async Task Bad_input_is_refused_with_a_400_and_writes_nothing()
    {
        Assert.Contains("is less than the minimum of 1", AssertError(HttpStatusCode.BadRequest, "badRequest", await PostAsync("/v3/volumes", A, new { volume = new { size = 0 } })));
        Assert.Contains("is not of type", AssertError(HttpStatusCode.BadRequest, "badRequest", await PostAsync("/v3/volumes", A, new { volume = new { size = "big" } })));
        AssertError(HttpStatusCode.NotFound, "itemNotFound", await PostAsync("/v3/volumes", A, new { volume = new { size = 1, volume_type = "no-such-type" } }));
        Assert.Equal("Invalid input received: Availability zone 'nowhere' is invalid.",
            AssertError(HttpStatusCode.BadRequest, "badRequest", await PostAsync("/v3/volumes", A, new { volume = new { size = 1, availability_zone = "nowhere" } })));
        await using var c = await OpenAsync();
        Assert.Equal(0, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM volumes WHERE project_id = @ProjectA", new { ProjectA }));
    }

    [Fact]
    public async Task The_attachments_api_attaches_and_detaches_and_refuses_what_cinder_refuses()
    {
        var id = (await CreateAsync(new { size = 1 })).GetProperty("id").GetString()!;
        await WaitForAsync(id, "available");
        var server = Guid.NewGuid().ToString();
        var connector = new { host = "compute-1", ip = "192.0.2.10", platform = "x86_64", os_type = "linux", multipath = false };

        var created = await PostAsync("/v3/attachments", A, new { attachment = new { volume_uuid = id, instance_uuid = server } }, "3.44");
        AssertStatus(HttpStatusCode.OK, created);
        var attachmentId = created.Body.GetProperty("attachment").GetProperty("id").GetString()!;
        Assert.Equal("reserved", created.Body.GetProperty("attachment").GetProperty("status").GetString());
        Assert.Equal("reserved", (await GetAsync($"/v3/volumes/{id}", A)).Body.GetProperty("volume").GetProperty("status").GetString());

        // A second server cannot have it.
        var message = AssertError(HttpStatusCode.BadRequest, "badRequest",
            await PostAsync("/v3/attachments", A, new { attachment = new { volume_uuid = id, instance_uuid = Guid.NewGuid().ToString() } }, "3.44"));
        Assert.StartsWith("Invalid volume: Volume", message);

        var updated = await SendAsync(HttpMethod.Put, $"/v3/attachments/{attachmentId}", A, new { attachment = new { connector } }, "3.44");
        AssertStatus(HttpStatusCode.OK, updated);
        var info = updated.Body.GetProperty("attachment").GetProperty("connection_info");
        Assert.Equal("file", info.GetProperty("driver_volume_type").GetString());
        Assert.Equal(FileOf(id), info.GetProperty("data").GetProperty("path").GetString());

        AssertStatus(HttpStatusCode.NoContent, await PostAsync($"/v3/attachments/{attachmentId}/action", A, JsonSerializer.Serialize(new Dictionary<string, object?> { ["os-complete"] = null }), "3.44"));
        var inUse = (await GetAsync($"/v3/volumes/{id}", A)).Body.GetProperty("volume");
        Assert.Equal("in-use", inUse.GetProperty("status").GetString());
        Assert.Equal(server, inUse.GetProperty("attachments")[0].GetProperty("server_id").GetString());

        // In use: not deleted, not attached again, not extended before 3.42.
        message = AssertError(HttpStatusCode.BadRequest, "badRequest", await DeleteAsync($"/v3/volumes/{id}", A));
        Assert.Contains("must not be migrating, attached", message);
        AssertError(HttpStatusCode.BadRequest, "badRequest",
            await PostAsync("/v3/attachments", A, new { attachment = new { volume_uuid = id, instance_uuid = Guid.NewGuid().ToString() } }, "3.44"));
        Assert.Equal("in-use", (await GetAsync($"/v3/volumes/{id}", A)).Body.GetProperty("volume").GetProperty("status").GetString());

        var deleted = await DeleteAsync($"/v3/attachments/{attachmentId}", A, "3.44");
        AssertStatus(HttpStatusCode.OK, deleted);
        var available = (await GetAsync($"/v3/volumes/{id}", A)).Body.GetProperty("volume");
        Assert.Equal("available", available.GetProperty("status").GetString());
        Assert.Empty(available.GetProperty("attachments").EnumerateArray());
    }

    [Fact]
    public async Task The_legacy_actions_attach_and_detach()
    {
        var id = (await CreateAsync(new { size = 1 })).GetProperty("id").GetString()!;
        await WaitForAsync(id, "available");
        Task<ApiAnswer> Act(string action, object? args) => PostAsync($"/v3/volumes/{id}/action", A, JsonSerializer.Serialize(new Dictionary<string, object?> { [action] = args }));

        AssertStatus(HttpStatusCode.Accepted, await Act("os-reserve", null));
        AssertError(HttpStatusCode.BadRequest, "badRequest", await Act("os-reserve", null));
        var connection = await Act("os-initialize_connection", new { connector = new { host = "compute-1" } });
        AssertStatus(HttpStatusCode.OK, connection);
        Assert.Equal("file", connection.Body.GetProperty("connection_info").GetProperty("driver_volume_type").GetString());
        AssertStatus(HttpStatusCode.Accepted, await Act("os-attach", new { instance_uuid = Guid.NewGuid().ToString(), mountpoint = "/dev/vdb" }));
        Assert.Equal("in-use", (await GetAsync($"/v3/volumes/{id}", A)).Body.GetProperty("volume").GetProperty("status").GetString());
        AssertStatus(HttpStatusCode.Accepted, await Act("os-begin_detaching", null));
        AssertStatus(HttpStatusCode.Accepted, await Act("os-terminate_connection", new { connector = new { host = "compute-1" } }));
        AssertStatus(HttpStatusCode.Accepted, await Act("os-detach", new { }));
        Assert.Equal("available", (await GetAsync($"/v3/volumes/{id}", A)).Body.GetProperty("volume").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Services_zones_and_pools_show_the_scheduler_and_the_backend()
    {
        Assert.True(await Eventually.TrueAsync(async () => (await GetAsync("/v3/os-services", Admin)).Body.GetProperty("services").GetArrayLength() >= 2, TimeSpan.FromSeconds(10)));
        var services = (await GetAsync("/v3/os-services", Admin)).Body.GetProperty("services").EnumerateArray().ToList();
        Assert.Contains(services, s => s.GetProperty("binary").GetString() == "cinder-scheduler" && s.GetProperty("host").GetString() == "test-host");
        var backend = services.Single(s => s.GetProperty("binary").GetString() == "cinder-volume");
        Assert.Equal("test-host@file", backend.GetProperty("host").GetString());
        Assert.Equal("up", backend.GetProperty("state").GetString());
        AssertError(HttpStatusCode.Forbidden, "forbidden", await GetAsync("/v3/os-services", A));

        var zones = (await GetAsync("/v3/os-availability-zone", A)).Body.GetProperty("availabilityZoneInfo");
        Assert.Equal("nova", zones[0].GetProperty("zoneName").GetString());
        var pools = (await GetAsync("/v3/scheduler-stats/get_pools?detail=True", Admin)).Body.GetProperty("pools");
        Assert.Equal("test-host@file#file", pools[0].GetProperty("name").GetString());
        Assert.Equal("file", pools[0].GetProperty("capabilities").GetProperty("storage_protocol").GetString());

        // A disabled backend takes no new volume: it ends in error.
        AssertStatus(HttpStatusCode.OK, await PutAsync("/v3/os-services/disable", Admin, new { host = "test-host@file", binary = "cinder-volume" }));
        var id = (await CreateAsync(new { size = 1 })).GetProperty("id").GetString()!;
        await WaitForAsync(id, "error");
        AssertStatus(HttpStatusCode.OK, await PutAsync("/v3/os-services/enable", Admin, new { host = "test-host@file", binary = "cinder-volume" }));
        // A volume in error that never reached a backend goes at once.
        AssertStatus(HttpStatusCode.Accepted, await DeleteAsync($"/v3/volumes/{id}", A));
        AssertError(HttpStatusCode.NotFound, "itemNotFound", await GetAsync($"/v3/volumes/{id}", A));
    }
}
