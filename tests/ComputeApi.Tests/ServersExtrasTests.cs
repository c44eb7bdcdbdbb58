using System.Net;
using Conductor.Contracts;
using Platform.TestSupport;

namespace ComputeApi.Tests;

/// <summary>Microversion headers, quota sets, external events, instance actions and snapshots.</summary>
public sealed class ServersExtrasTests(MySqlFixture mysql, RabbitMqFixture rabbit)
    : ComputeApiTestBase(mysql, rabbit, "cextras"), IClassFixture<MySqlFixture>, IClassFixture<RabbitMqFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private async Task<string> ActiveServerAsync(string name)
    {
        Conductor.AutoBuild = true;
        var (flavor, image, network) = await BootBasicsAsync();
        var answer = await PostAsync("/v2.1/servers", A, new { server = new { name, flavorRef = flavor, imageRef = image, networks = new[] { new { uuid = network } } } });
        AssertStatus(HttpStatusCode.Accepted, answer);
        var id = answer.Body.GetProperty("server").GetProperty("id").GetString()!;
        Assert.True(await Eventually.TrueAsync(async () =>
            (await GetAsync($"/v2.1/servers/{id}", A)).Body.GetProperty("server").GetProperty("status").GetString() == "ACTIVE", Wait));
        return id;
    }

    [Fact]
    public async Task Malformed_volume_attachments_are_refused_with_novas_messages_before_anything_is_asked()
    {
        var id = await ActiveServerAsync("va-1");
        var path = $"/v2.1/servers/{id}/os-volume_attachments";
        var volume = Guid.NewGuid().ToString();
        var actions = Conductor.Actions.Count;
        var asked = Peers.Requests.Count;
        (object Body, string? Microversion, string Message)[] refused =
        [
            (new { volume = new { volumeId = volume } }, null, "'volumeAttachment' is a required property"),
            (new { volumeAttachment = new { device = "/dev/vdb" } }, null, "'volumeId' is a required property"),
            (new { volumeAttachment = new { volumeId = "not-a-uuid" } }, null, "'not-a-uuid' is not a 'uuid'"),
            (new { volumeAttachment = new { volumeId = volume, device = "sdb!" } }, null, "'sdb!' does not match"),
            (new { volumeAttachment = new { volumeId = volume, color = "red" } }, null, "Additional properties are not allowed ('color' was unexpected)"),
            // tag from 2.49, delete_on_termination from 2.79.
            (new { volumeAttachment = new { volumeId = volume, tag = "t1" } }, "2.48", "Additional properties are not allowed ('tag' was unexpected)"),
            (new { volumeAttachment = new { volumeId = volume, delete_on_termination = true } }, "2.78", "Additional properties are not allowed ('delete_on_termination' was unexpected)"),
        ];
        foreach (var (body, microversion, message) in refused)
            Assert.Contains(message, AssertError(HttpStatusCode.BadRequest, await PostAsync(path, A, body, microversion)));
        // Nothing reached the volume service or the conductor.
        Assert.Equal(asked, Peers.Requests.Count);
        Assert.DoesNotContain(Peers.Requests, r => r.Contains("volume", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(actions, Conductor.Actions.Count);

        // Another project's server, or none: 404, as nova answers.
        AssertError(HttpStatusCode.NotFound, await PostAsync($"/v2.1/servers/{Guid.NewGuid()}/os-volume_attachments", A, new { volumeAttachment = new { volumeId = volume } }));
        AssertError(HttpStatusCode.NotFound, await PostAsync(path, B, new { volumeAttachment = new { volumeId = volume } }));
        AssertError(HttpStatusCode.NotFound, await GetAsync($"{path}/{volume}", A));

        // A server still building cannot take a volume: nova's 409, before the volume is touched.
        Conductor.AutoBuild = false;
        var (flavor, image, _) = await BootBasicsAsync();
        var building = await PostAsync("/v2.1/servers", A, new { server = new { name = "va-2", flavorRef = flavor, imageRef = image, networks = "none" } }, "2.37");
        AssertStatus(HttpStatusCode.Accepted, building);
        var buildingId = building.Body.GetProperty("server").GetProperty("id").GetString()!;
        Assert.Equal($"Cannot 'attach_volume' instance {buildingId} while it is in vm_state building",
            AssertError(HttpStatusCode.Conflict, await PostAsync($"/v2.1/servers/{buildingId}/os-volume_attachments", A, new { volumeAttachment = new { volumeId = volume } })));
        Assert.DoesNotContain(Peers.Requests, r => r.Contains("volume", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Microversion_headers_are_read_and_echoed()
    {
        var none = await GetAsync("/v2.1/flavors", A);
        Assert.Equal("compute 2.1", Assert.Single(none.Headers.GetValues("OpenStack-API-Version")));
        var latest = await GetAsync("/v2.1/flavors", A, "latest");
        Assert.Equal("compute 2.79", Assert.Single(latest.Headers.GetValues("OpenStack-API-Version")));
        AssertError(HttpStatusCode.NotAcceptable, await GetAsync("/v2.1/flavors", A, "2.999"));
        AssertError(HttpStatusCode.BadRequest, await GetAsync("/v2.1/flavors", A, "two"));
    }

    [Fact]
    public async Task Quota_sets_show_defaults_update_and_reset()
    {
        var shown = await GetAsync("/v2.1/os-quota-sets/project-a", A);
        AssertStatus(HttpStatusCode.OK, shown);
        var set = shown.Body.GetProperty("quota_set");
        Assert.Equal(10, set.GetProperty("instances").GetInt32());
        Assert.Equal(20, set.GetProperty("cores").GetInt32());
        Assert.Equal(51200, set.GetProperty("ram").GetInt32());
        Assert.Equal("project-a", set.GetProperty("id").GetString());
        Assert.True(set.TryGetProperty("floating_ips", out _));
        Assert.False((await GetAsync("/v2.1/os-quota-sets/project-a", A, "2.57")).Body.GetProperty("quota_set").TryGetProperty("floating_ips", out _));
        AssertError(HttpStatusCode.Forbidden, await PutAsync("/v2.1/os-quota-sets/project-a", A, new { quota_set = new { instances = 50 } }));
        AssertStatus(HttpStatusCode.OK, await PutAsync("/v2.1/os-quota-sets/project-a", Admin, new { quota_set = new { instances = 50 } }));
        var detail = await GetAsync("/v2.1/os-quota-sets/project-a/detail", A);
        Assert.Equal(50, detail.Body.GetProperty("quota_set").GetProperty("instances").GetProperty("limit").GetInt32());
        AssertStatus(HttpStatusCode.Accepted, await DeleteAsync("/v2.1/os-quota-sets/project-a", Admin));
        Assert.Equal(10, (await GetAsync("/v2.1/os-quota-sets/project-a", A)).Body.GetProperty("quota_set").GetProperty("instances").GetInt32());
        Assert.Equal(10, (await GetAsync("/v2.1/os-quota-sets/project-a/defaults", A)).Body.GetProperty("quota_set").GetProperty("instances").GetInt32());
    }

    [Fact]
    public async Task External_events_are_forwarded_for_known_servers_and_207_for_unknown_ones()
    {
        var id = await ActiveServerAsync("ev-1");
        var unknown = Guid.NewGuid().ToString();
        var body = new { events = new object[] { new { name = "network-vif-plugged", server_uuid = id, tag = "port-1" }, new { name = "network-vif-plugged", server_uuid = unknown } } };
        AssertError(HttpStatusCode.Forbidden, await PostAsync("/v2.1/os-server-external-events", A, body));
        var answer = await PostAsync("/v2.1/os-server-external-events", Service, body);
        Assert.Equal((HttpStatusCode)207, answer.Status);
        var events = answer.Body.GetProperty("events");
        Assert.Equal(200, events[0].GetProperty("code").GetInt32());
        Assert.Equal("completed", events[0].GetProperty("status").GetString());
        Assert.Equal(404, events[1].GetProperty("code").GetInt32());
        Assert.True(await Eventually.TrueAsync(() => !Conductor.ExternalEvents.IsEmpty, Wait));
        Assert.True(Conductor.ExternalEvents.TryPeek(out var forwarded));
        var one = Assert.Single(forwarded.Events);
        Assert.Equal(id, one.InstanceUuid);
        Assert.Equal("port-1", one.Tag);

        var all = await PostAsync("/v2.1/os-server-external-events", Admin, new { events = new[] { new { name = "network-changed", server_uuid = id } } });
        AssertStatus(HttpStatusCode.OK, all);
        AssertError(HttpStatusCode.NotFound, await PostAsync("/v2.1/os-server-external-events", Service, new { events = new[] { new { name = "network-changed", server_uuid = unknown } } }));
        AssertError(HttpStatusCode.BadRequest, await PostAsync("/v2.1/os-server-external-events", Service, new { events = new[] { new { name = "bogus", server_uuid = id } } }));
    }

    [Fact]
    public async Task Instance_actions_come_from_the_conductor_and_snapshots_create_an_image_first()
    {
        var id = await ActiveServerAsync("act-1");
        var started = DateTime.UtcNow.AddSeconds(-5);
        Conductor.OnListActions = request => new InstanceActionsReply(
        [
            new InstanceActionInfo("create", request.InstanceUuid, "req-1", "user-of-project-a", "project-a", started, started.AddSeconds(1), null,
                [new InstanceActionEventInfo("compute_build_and_run_instance", started, started.AddSeconds(1), "Success", null, "compute-1")]),
            new InstanceActionInfo("stop", request.InstanceUuid, "req-2", "user-of-project-a", "project-a", started.AddSeconds(2), null, null, []),
        ]);
        var list = await GetAsync($"/v2.1/servers/{id}/os-instance-actions", A);
        AssertStatus(HttpStatusCode.OK, list);
        Assert.Equal("req-2", list.Body.GetProperty("instanceActions")[0].GetProperty("request_id").GetString());
        var paged = await GetAsync($"/v2.1/servers/{id}/os-instance-actions?limit=1", A, "2.58");
        Assert.Single(paged.Body.GetProperty("instanceActions").EnumerateArray());
        Assert.True(paged.Body.TryGetProperty("links", out _));
        var old = await GetAsync($"/v2.1/servers/{id}/os-instance-actions/req-1", A);
        Assert.False(old.Body.GetProperty("instanceAction").TryGetProperty("events", out _));
        var shown = await GetAsync($"/v2.1/servers/{id}/os-instance-actions/req-1", A, "2.62");
        var ev = Assert.Single(shown.Body.GetProperty("instanceAction").GetProperty("events").EnumerateArray());
        Assert.Equal("Success", ev.GetProperty("result").GetString());
        Assert.False(ev.TryGetProperty("traceback", out _));
        Assert.Equal(56, ev.GetProperty("hostId").GetString()!.Length);
        AssertError(HttpStatusCode.NotFound, await GetAsync($"/v2.1/servers/{id}/os-instance-actions/req-9", A));
        AssertError(HttpStatusCode.NotFound, await GetAsync($"/v2.1/servers/{id}/os-instance-actions", B));

        var snapshot = await PostAsync($"/v2.1/servers/{id}/action", A, new { createImage = new { name = "snap-1", metadata = new { purpose = "test" } } }, "2.45");
        AssertStatus(HttpStatusCode.Accepted, snapshot);
        var imageId = snapshot.Body.GetProperty("image_id").GetString()!;
        Assert.Equal("snap-1", Peers.Images[imageId]["name"]!.GetValue<string>());
        Assert.Equal(imageId, Assert.Single(Conductor.Actions, a => a.Action == global::Conductor.Contracts.InstanceActions.CreateImage).SnapshotImageId);
        var legacy = await PostAsync($"/v2.1/servers/{id}/action", A, new { createImage = new { name = "snap-2" } });
        AssertStatus(HttpStatusCode.Accepted, legacy);
        Assert.Contains("/images/", legacy.Headers.Location!.ToString());

        var rebuilt = await PostAsync($"/v2.1/servers/{id}/action", A, new { rebuild = new { imageRef = Peers.AddImage("other"), name = "act-1b" } });
        AssertStatus(HttpStatusCode.Accepted, rebuilt);
        Assert.Equal("act-1b", rebuilt.Body.GetProperty("server").GetProperty("name").GetString());
    }

    [Fact]
    public async Task A_group_hint_puts_the_servers_in_the_group_and_tells_the_conductor()
    {
        var group = await PostAsync("/v2.1/os-server-groups", A, new { server_group = new { name = "g1", policy = "anti-affinity" } }, "2.64");
        AssertStatus(HttpStatusCode.OK, group);
        var groupId = group.Body.GetProperty("server_group").GetProperty("id").GetString()!;
        var (flavor, image, network) = await BootBasicsAsync();
        var answer = await PostAsync("/v2.1/servers", A, new Dictionary<string, object>
        {
            ["server"] = new { name = "grouped", flavorRef = flavor, imageRef = image, networks = new[] { new { uuid = network } }, min_count = 2, max_count = 2 },
            ["os:scheduler_hints"] = new { group = groupId },
        });
        AssertStatus(HttpStatusCode.Accepted, answer);
        Assert.True(await Eventually.TrueAsync(() => !Conductor.Builds.IsEmpty, Wait));
        Assert.True(Conductor.Builds.TryPeek(out var build));
        Assert.Equal(groupId, build.InstanceGroup!.Uuid);
        Assert.Equal("anti-affinity", build.InstanceGroup.Policy);
        Assert.Equal(2, build.Instances.Count);
        Assert.Equal(["grouped-1", "grouped-2"], build.Instances.Select(i => i.DisplayName));
        var members = (await GetAsync($"/v2.1/os-server-groups/{groupId}", A)).Body.GetProperty("server_group").GetProperty("members");
        Assert.Equal(2, members.GetArrayLength());
        Assert.Equal($"Instance group {Guid.Empty} could not be found.", AssertError(HttpStatusCode.BadRequest, await PostAsync("/v2.1/servers", A, new Dictionary<string, object>
        {
            ["server"] = new { name = "x", flavorRef = flavor, imageRef = image, networks = new[] { new { uuid = network } } },
            ["os:scheduler_hints"] = new { group = Guid.Empty.ToString() },
        })));
    }

    [Fact]
    public async Task Min_and_max_count_build_as_many_as_the_quota_allows()
    {
        AssertStatus(HttpStatusCode.OK, await PutAsync("/v2.1/os-quota-sets/project-a", Admin, new { quota_set = new { instances = 3 } }));
        var (flavor, image, network) = await BootBasicsAsync();
        var answer = await PostAsync("/v2.1/servers", A, new { server = new { name = "many", flavorRef = flavor, imageRef = image, networks = new[] { new { uuid = network } }, min_count = 2, max_count = 5, return_reservation_id = true } });
        AssertStatus(HttpStatusCode.Accepted, answer);
        var reservation = answer.Body.GetProperty("reservation_id").GetString()!;
        var listed = await GetAsync($"/v2.1/servers?reservation_id={reservation}", A);
        Assert.Equal(3, listed.Body.GetProperty("servers").GetArrayLength());
        Assert.Equal("Quota exceeded for instances: Requested 2, but already used 3 of 3 instances",
            AssertError(HttpStatusCode.Forbidden, await PostAsync("/v2.1/servers", A, new { server = new { name = "more", flavorRef = flavor, imageRef = image, networks = new[] { new { uuid = network } }, min_count = 2, max_count = 4 } })));
    }

    [Fact]
    public void Host_ids_are_nova_sha224_digests() =>
        Assert.Equal("23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7", Convert.ToHexStringLower(ComputeApi.Common.Sha224.Hash("abc"u8)));
}
