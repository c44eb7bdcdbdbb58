using System.Net;
using Platform.TestSupport;

namespace ComputeApi.Tests;

/// <summary>Flavors: admin CRUD, private flavors and access, extra specs, and what non-admins may not do.</summary>
public sealed class FlavorApiTests(MySqlFixture mysql, RabbitMqFixture rabbit)
    : ComputeApiTestBase(mysql, rabbit, "cflavor"), IClassFixture<MySqlFixture>, IClassFixture<RabbitMqFixture>
{
    [Fact]
    public async Task Admin_creates_shows_lists_and_deletes_a_flavor()
    {
        var create = await PostAsync("/v2.1/flavors", Admin, new Dictionary<string, object>
        {
            ["flavor"] = new Dictionary<string, object> { ["name"] = "m1.small", ["ram"] = 2048, ["vcpus"] = 1, ["disk"] = 20, ["id"] = "2", ["swap"] = 512, ["OS-FLV-EXT-DATA:ephemeral"] = 5 },
        });
        AssertStatus(HttpStatusCode.OK, create);
        var flavor = create.Body.GetProperty("flavor");
        Assert.Equal("2", flavor.GetProperty("id").GetString());
        Assert.Equal(2048, flavor.GetProperty("ram").GetInt32());
        Assert.Equal(512, flavor.GetProperty("swap").GetInt32());
        Assert.Equal(5, flavor.GetProperty("OS-FLV-EXT-DATA:ephemeral").GetInt32());
        Assert.True(flavor.GetProperty("os-flavor-access:is_public").GetBoolean());
        Assert.False(flavor.TryGetProperty("description", out _));

        var shown = await GetAsync("/v2.1/flavors/2", A, "2.61");
        AssertStatus(HttpStatusCode.OK, shown);
        Assert.Equal("m1.small", shown.Body.GetProperty("flavor").GetProperty("name").GetString());
        Assert.Equal(JsonValueKindNull, shown.Body.GetProperty("flavor").GetProperty("description").ValueKind);
        Assert.Empty(shown.Body.GetProperty("flavor").GetProperty("extra_specs").EnumerateObject());

        var list = await GetAsync("/v2.1/flavors", A);
        var brief = Assert.Single(list.Body.GetProperty("flavors").EnumerateArray(), f => f.GetProperty("id").GetString() == "2");
        Assert.False(brief.TryGetProperty("ram", out _));
        Assert.Equal(2, brief.GetProperty("links").GetArrayLength());

        Assert.Equal("Flavor with name m1.small already exists.",
            AssertError(HttpStatusCode.Conflict, await PostAsync("/v2.1/flavors", Admin, new { flavor = new { name = "m1.small", ram = 1, vcpus = 1, disk = 0 } })));
        Assert.Equal("Flavor with ID 2 already exists.",
            AssertError(HttpStatusCode.Conflict, await PostAsync("/v2.1/flavors", Admin, new { flavor = new { name = "other", ram = 1, vcpus = 1, disk = 0, id = "2" } })));

        AssertStatus(HttpStatusCode.Accepted, await DeleteAsync("/v2.1/flavors/2", Admin));
        Assert.Equal("Flavor 2 could not be found.", AssertError(HttpStatusCode.NotFound, await GetAsync("/v2.1/flavors/2", A)));
    }

    private const System.Text.Json.JsonValueKind JsonValueKindNull = System.Text.Json.JsonValueKind.Null;

    [Fact]
    public async Task Non_admins_may_not_manage_flavors_and_bad_input_is_refused()
    {
        Assert.Equal("Policy doesn't allow os_compute_api:os-flavor-manage:create to be performed.",
            AssertError(HttpStatusCode.Forbidden, await PostAsync("/v2.1/flavors", A, new { flavor = new { name = "x", ram = 1, vcpus = 1, disk = 0 } })));
        var id = await CreateFlavorAsync("f-del");
        AssertError(HttpStatusCode.Forbidden, await DeleteAsync($"/v2.1/flavors/{id}", A));
        AssertError(HttpStatusCode.Forbidden, await PostAsync($"/v2.1/flavors/{id}/os-extra_specs", A, new { extra_specs = new { a = "b" } }));
        AssertError(HttpStatusCode.BadRequest, await PostAsync("/v2.1/flavors", Admin, new { flavor = new { name = "x", ram = 0, vcpus = 1, disk = 0 } }));
        AssertError(HttpStatusCode.BadRequest, await PostAsync("/v2.1/flavors", Admin, new { flavor = new { ram = 1, vcpus = 1, disk = 0 } }));
        AssertError(HttpStatusCode.BadRequest, await PostAsync("/v2.1/flavors", Admin, new { flavor = new { name = "x", ram = 1, vcpus = 1, disk = 0, bogus = 1 } }));
    }

    [Fact]
    public async Task A_private_flavor_is_seen_only_by_projects_given_access()
    {
        var id = await CreateFlavorAsync("private-1", isPublic: false);
        Assert.DoesNotContain((await GetAsync("/v2.1/flavors", A)).Body.GetProperty("flavors").EnumerateArray(), f => f.GetProperty("id").GetString() == id);
        AssertError(HttpStatusCode.NotFound, await GetAsync($"/v2.1/flavors/{id}", A));

        var added = await PostAsync($"/v2.1/flavors/{id}/action", Admin, new { addTenantAccess = new { tenant = "project-a" } });
        AssertStatus(HttpStatusCode.OK, added);
        var access = Assert.Single(added.Body.GetProperty("flavor_access").EnumerateArray());
        Assert.Equal("project-a", access.GetProperty("tenant_id").GetString());
        Assert.Equal(id, access.GetProperty("flavor_id").GetString());
        AssertError(HttpStatusCode.Conflict, await PostAsync($"/v2.1/flavors/{id}/action", Admin, new { addTenantAccess = new { tenant = "project-a" } }));

        Assert.Contains((await GetAsync("/v2.1/flavors", A)).Body.GetProperty("flavors").EnumerateArray(), f => f.GetProperty("id").GetString() == id);
        AssertStatus(HttpStatusCode.OK, await GetAsync($"/v2.1/flavors/{id}", A));
        AssertError(HttpStatusCode.NotFound, await GetAsync($"/v2.1/flavors/{id}", B));
        AssertStatus(HttpStatusCode.OK, await GetAsync($"/v2.1/flavors/{id}/os-flavor-access", Admin));
        AssertError(HttpStatusCode.Forbidden, await GetAsync($"/v2.1/flavors/{id}/os-flavor-access", A));

        AssertStatus(HttpStatusCode.OK, await PostAsync($"/v2.1/flavors/{id}/action", Admin, new { removeTenantAccess = new { tenant = "project-a" } }));
        AssertError(HttpStatusCode.NotFound, await GetAsync($"/v2.1/flavors/{id}", A));
        AssertError(HttpStatusCode.NotFound, await PostAsync($"/v2.1/flavors/{id}/action", Admin, new { removeTenantAccess = new { tenant = "project-a" } }));

        var pub = await CreateFlavorAsync("public-1");
        Assert.Equal("Access list not available for public flavors.", AssertError(HttpStatusCode.NotFound, await GetAsync($"/v2.1/flavors/{pub}/os-flavor-access", Admin)));
    }

    [Fact]
    public async Task Extra_specs_are_set_read_updated_and_deleted_and_shown_from_2_61()
    {
        var id = await CreateFlavorAsync("specs-1");
        var set = await PostAsync($"/v2.1/flavors/{id}/os-extra_specs", Admin, new { extra_specs = new Dictionary<string, string> { ["hw:cpu_policy"] = "dedicated", ["k2"] = "v2" } });
        AssertStatus(HttpStatusCode.OK, set);
        Assert.Equal("dedicated", set.Body.GetProperty("extra_specs").GetProperty("hw:cpu_policy").GetString());
        var one = await GetAsync($"/v2.1/flavors/{id}/os-extra_specs/k2", A);
        Assert.Equal("v2", one.Body.GetProperty("k2").GetString());
        AssertStatus(HttpStatusCode.OK, await PutAsync($"/v2.1/flavors/{id}/os-extra_specs/k2", Admin, new { k2 = "v3" }));
        AssertError(HttpStatusCode.BadRequest, await PutAsync($"/v2.1/flavors/{id}/os-extra_specs/k2", Admin, new { other = "v3" }));
        Assert.Equal("v3", (await GetAsync($"/v2.1/flavors/{id}/os-extra_specs", A)).Body.GetProperty("extra_specs").GetProperty("k2").GetString());

        var detail = await GetAsync("/v2.1/flavors/detail", A, "2.61");
        var shown = Assert.Single(detail.Body.GetProperty("flavors").EnumerateArray(), f => f.GetProperty("id").GetString() == id);
        Assert.Equal("dedicated", shown.GetProperty("extra_specs").GetProperty("hw:cpu_policy").GetString());
        var old = await GetAsync("/v2.1/flavors/detail", A, "2.60");
        Assert.False(Assert.Single(old.Body.GetProperty("flavors").EnumerateArray(), f => f.GetProperty("id").GetString() == id).TryGetProperty("extra_specs", out _));

        AssertStatus(HttpStatusCode.OK, await DeleteAsync($"/v2.1/flavors/{id}/os-extra_specs/k2", Admin));
        Assert.Equal($"Flavor {id} has no extra specs with key k2.", AssertError(HttpStatusCode.NotFound, await GetAsync($"/v2.1/flavors/{id}/os-extra_specs/k2", A)));
    }

    [Fact]
    public async Task Description_is_set_at_2_55_and_paging_works()
    {
        var create = await PostAsync("/v2.1/flavors", Admin, new { flavor = new { name = "desc-1", ram = 64, vcpus = 1, disk = 0, description = "small one" } }, "2.55");
        AssertStatus(HttpStatusCode.OK, create);
        var id = create.Body.GetProperty("flavor").GetProperty("id").GetString();
        Assert.Equal("small one", create.Body.GetProperty("flavor").GetProperty("description").GetString());
        var updated = await PutAsync($"/v2.1/flavors/{id}", Admin, new { flavor = new { description = "changed" } }, "2.55");
        Assert.Equal("changed", updated.Body.GetProperty("flavor").GetProperty("description").GetString());
        AssertError(HttpStatusCode.BadRequest, await PostAsync("/v2.1/flavors", Admin, new { flavor = new { name = "desc-2", ram = 64, vcpus = 1, disk = 0, description = "x" } }, "2.54"));

        await CreateFlavorAsync("page-1", id: "p1");
        await CreateFlavorAsync("page-2", id: "p2");
        var page = await GetAsync("/v2.1/flavors?limit=1&marker=p1", A);
        Assert.Equal("p2", Assert.Single(page.Body.GetProperty("flavors").EnumerateArray()).GetProperty("id").GetString());
        var minRam = await GetAsync("/v2.1/flavors/detail?minRam=100", A);
        Assert.DoesNotContain(minRam.Body.GetProperty("flavors").EnumerateArray(), f => f.GetProperty("id").GetString() == id);
    }
}
