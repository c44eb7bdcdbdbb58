using System.Net;
using System.Text.Json;
using Dapper;
using Platform.TestSupport;

namespace Volume.Tests;

/// <summary>Volume types as cinder manages them: admins make them, everyone reads what they may use, extra specs steer the scheduler.</summary>
public sealed class VolumeTypesTests(MySqlFixture mysql, RabbitMqFixture rabbit)
    : VolumeApiTestBase(mysql, rabbit, "voltypes"), IClassFixture<MySqlFixture>, IClassFixture<RabbitMqFixture>
{
    private async Task<JsonElement> CreateTypeAsync(object type)
    {
        var answer = await PostAsync("/v3/types", Admin, new { volume_type = type });
        AssertStatus(HttpStatusCode.OK, answer);
        return answer.Body.GetProperty("volume_type");
    }

    private Task<ApiAnswer> ActAsync(string id, string action, object args) =>
        PostAsync($"/v3/types/{id}/action", Admin, JsonSerializer.Serialize(new Dictionary<string, object> { [action] = args }));

    [Fact]
    public async Task Admins_create_update_and_delete_types_and_others_may_not()
    {
        AssertError(HttpStatusCode.Forbidden, "forbidden", await PostAsync("/v3/types", A, new { volume_type = new { name = "nope" } }));
        var created = await CreateTypeAsync(new { name = "fast", description = "SSD", extra_specs = new { volume_backend_name = "file" } });
        var id = created.GetProperty("id").GetString()!;
        Assert.Equal("file", created.GetProperty("extra_specs").GetProperty("volume_backend_name").GetString());
        Assert.True(created.GetProperty("os-volume-type-access:is_public").GetBoolean());
        Assert.Equal("Volume Type fast already exists.", AssertError(HttpStatusCode.Conflict, "conflictingRequest", await PostAsync("/v3/types", Admin, new { volume_type = new { name = "fast" } })));

        // A reader sees the type but not its backend-revealing specs.
        var shown = (await GetAsync($"/v3/types/{id}", A)).Body.GetProperty("volume_type");
        Assert.Equal("fast", shown.GetProperty("name").GetString());
        Assert.Empty(shown.GetProperty("extra_specs").EnumerateObject());
        Assert.Contains((await GetAsync("/v3/types", A)).Body.GetProperty("volume_types").EnumerateArray(), t => t.GetProperty("id").GetString() == id);

        var updated = await PutAsync($"/v3/types/{id}", Admin, new { volume_type = new { name = "faster", description = "NVMe" } });
        AssertStatus(HttpStatusCode.OK, updated);
        Assert.Equal("faster", updated.Body.GetProperty("volume_type").GetProperty("name").GetString());

        AssertStatus(HttpStatusCode.Accepted, await DeleteAsync($"/v3/types/{id}", Admin));
        AssertError(HttpStatusCode.NotFound, "itemNotFound", await GetAsync($"/v3/types/{id}", Admin));
    }

    [Fact]
    public async Task Extra_specs_are_set_read_and_removed()
    {
        var id = (await CreateTypeAsync(new { name = "specs" })).GetProperty("id").GetString()!;
        AssertStatus(HttpStatusCode.OK, await PostAsync($"/v3/types/{id}/extra_specs", Admin, new { extra_specs = new { k1 = "v1", multiattach = "<is> True" } }));
        var specs = (await GetAsync($"/v3/types/{id}/extra_specs", Admin)).Body.GetProperty("extra_specs");
        Assert.Equal("v1", specs.GetProperty("k1").GetString());
        // A reader sees only what cinder lets users see.
        Assert.Equal(["multiattach"], (await GetAsync($"/v3/types/{id}/extra_specs", A)).Body.GetProperty("extra_specs").EnumerateObject().Select(p => p.Name));
        AssertStatus(HttpStatusCode.OK, await PutAsync($"/v3/types/{id}/extra_specs/k1", Admin, new { k1 = "v2" }));
        Assert.Equal("v2", (await GetAsync($"/v3/types/{id}/extra_specs/k1", Admin)).Body.GetProperty("k1").GetString());
        AssertStatus(HttpStatusCode.Accepted, await DeleteAsync($"/v3/types/{id}/extra_specs/k1", Admin));
        Assert.Equal($"Volume Type {id} has no extra specs with key k1.",
            AssertError(HttpStatusCode.NotFound, "itemNotFound", await GetAsync($"/v3/types/{id}/extra_specs/k1", Admin)));
        AssertError(HttpStatusCode.Forbidden, "forbidden", await PostAsync($"/v3/types/{id}/extra_specs", A, new { extra_specs = new { k = "v" } }));
    }

    [Fact]
    public async Task A_private_type_is_invisible_to_other_projects_until_they_are_given_it()
    {
        var id = (await CreateTypeAsync(new { name = "secret", is_public = false })).GetProperty("id").GetString()!;
        AssertError(HttpStatusCode.NotFound, "itemNotFound", await GetAsync($"/v3/types/{id}", A));
        Assert.DoesNotContain((await GetAsync("/v3/types", A)).Body.GetProperty("volume_types").EnumerateArray(), t => t.GetProperty("id").GetString() == id);
        AssertError(HttpStatusCode.NotFound, "itemNotFound", await PostAsync("/v3/volumes", A, new { volume = new { size = 1, volume_type = "secret" } }));

        AssertStatus(HttpStatusCode.Accepted, await ActAsync(id, "addProjectAccess", new { project = ProjectA }));
        AssertError(HttpStatusCode.Conflict, "conflictingRequest", await ActAsync(id, "addProjectAccess", new { project = ProjectA }));
        AssertStatus(HttpStatusCode.OK, await GetAsync($"/v3/types/{id}", A));
        AssertError(HttpStatusCode.NotFound, "itemNotFound", await GetAsync($"/v3/types/{id}", B));
        var access = (await GetAsync($"/v3/types/{id}/os-volume-type-access", Admin)).Body.GetProperty("volume_type_access");
        Assert.Equal(ProjectA, access[0].GetProperty("project_id").GetString());

        AssertStatus(HttpStatusCode.Accepted, await ActAsync(id, "removeProjectAccess", new { project = ProjectA }));
        AssertError(HttpStatusCode.NotFound, "itemNotFound", await GetAsync($"/v3/types/{id}", A));
    }

    [Fact]
    public async Task A_type_in_use_or_the_default_cannot_go_and_a_rename_takes_its_quotas()
    {
        var id = (await CreateTypeAsync(new { name = "gold", extra_specs = new { volume_backend_name = "file" } })).GetProperty("id").GetString()!;
        AssertStatus(HttpStatusCode.OK, await PutAsync($"/v3/os-quota-sets/{ProjectA}", Admin, new { quota_set = new Dictionary<string, int> { ["volumes_gold"] = 3 } }));
        var volume = await PostAsync("/v3/volumes", A, new { volume = new { size = 1, volume_type = "gold" } });
        AssertStatus(HttpStatusCode.Accepted, volume);
        Assert.Equal("gold", volume.Body.GetProperty("volume").GetProperty("volume_type").GetString());
        var volumeId = volume.Body.GetProperty("volume").GetProperty("id").GetString()!;
        Assert.True(await Eventually.TrueAsync(async () =>
            (await GetAsync($"/v3/volumes/{volumeId}", A)).Body.GetProperty("volume").GetProperty("status").GetString() == "available", TimeSpan.FromSeconds(20)));

        Assert.Equal("Target volume type is still in use.", AssertError(HttpStatusCode.BadRequest, "badRequest", await DeleteAsync($"/v3/types/{id}", Admin)));
        var defaultId = (await GetAsync("/v3/types/default", A)).Body.GetProperty("volume_type").GetProperty("id").GetString()!;
        Assert.Contains("is a default volume type and cannot be deleted", AssertError(HttpStatusCode.BadRequest, "badRequest", await DeleteAsync($"/v3/types/{defaultId}", Admin)));

        AssertStatus(HttpStatusCode.OK, await PutAsync($"/v3/types/{id}", Admin, new { volume_type = new { name = "platinum" } }));
        var quota = (await GetAsync($"/v3/os-quota-sets/{ProjectA}", A)).Body.GetProperty("quota_set");
        Assert.Equal(3, quota.GetProperty("volumes_platinum").GetInt32());
        Assert.False(quota.TryGetProperty("volumes_gold", out _));
    }

    [Fact]
    public async Task A_type_asking_for_a_backend_there_is_not_leaves_the_volume_in_error()
    {
        await CreateTypeAsync(new { name = "elsewhere", extra_specs = new { volume_backend_name = "lvm" } });
        var volume = await PostAsync("/v3/volumes", A, new { volume = new { size = 1, volume_type = "elsewhere" } });
        AssertStatus(HttpStatusCode.Accepted, volume);
        var id = volume.Body.GetProperty("volume").GetProperty("id").GetString()!;
        Assert.True(await Eventually.TrueAsync(async () =>
            (await GetAsync($"/v3/volumes/{id}", A)).Body.GetProperty("volume").GetProperty("status").GetString() == "error", TimeSpan.FromSeconds(20)));
    }
}
