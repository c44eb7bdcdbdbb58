using System.Net;
using System.Text.Json;
using Platform.TestSupport;

namespace Volume.Tests;

/// <summary>
/// os-quota-sets as cinder answers it: cinder's resources (per volume type too), usage counted
/// from the volumes and snapshots there are, admin-only changes checked as cinder checks them.
/// </summary>
public sealed class QuotaSetsTests(MySqlFixture mysql, RabbitMqFixture rabbit)
    : VolumeApiTestBase(mysql, rabbit, "volquotas"), IClassFixture<MySqlFixture>, IClassFixture<RabbitMqFixture>
{
    private static readonly Dictionary<string, int> CinderDefaults = new()
    {
        ["volumes"] = 10, ["per_volume_gigabytes"] = -1, ["snapshots"] = 10, ["gigabytes"] = 1000, ["backups"] = 10, ["backup_gigabytes"] = 1000,
        ["volumes___DEFAULT__"] = -1, ["gigabytes___DEFAULT__"] = -1, ["snapshots___DEFAULT__"] = -1, ["groups"] = 10,
    };

    private static Dictionary<string, JsonElement> Set(ApiAnswer answer) =>
        answer.Body.GetProperty("quota_set").EnumerateObject().ToDictionary(p => p.Name, p => p.Value);

    [Fact]
    public async Task A_project_without_limits_of_its_own_has_cinders_defaults()
    {
        var answer = await GetAsync($"/v3/os-quota-sets/{ProjectA}", A);
        AssertStatus(HttpStatusCode.OK, answer);
        var set = Set(answer);
        Assert.Equal(ProjectA, set["id"].GetString());
        set.Remove("id");
        Assert.Equal(CinderDefaults.OrderBy(d => d.Key), set.ToDictionary(s => s.Key, s => s.Value.GetInt32()).OrderBy(d => d.Key));
        // In cinder's order: the global resources, the per-type ones, groups.
        Assert.Equal(["volumes", "per_volume_gigabytes", "snapshots", "gigabytes", "backups", "backup_gigabytes"], set.Keys.Take(6));
        Assert.Equal("groups", set.Keys.Last());
    }

    [Fact]
    public async Task The_defaults_are_the_same_for_any_project()
    {
        var answer = await GetAsync($"/v3/os-quota-sets/{ProjectA}/defaults", A);
        AssertStatus(HttpStatusCode.OK, answer);
        var set = Set(answer);
        Assert.Equal(ProjectA, set["id"].GetString());
        Assert.Equal(10, set["volumes"].GetInt32());
        Assert.Equal(-1, set["volumes___DEFAULT__"].GetInt32());
    }

    [Fact]
    public async Task Usage_counts_the_volumes_and_snapshots_there_are_by_type()
    {
        var gold = await AddVolumeTypeAsync("gold");
        var v1 = await AddVolumeAsync(ProjectA, 5);
        await AddVolumeAsync(ProjectA, 7, gold);
        await AddSnapshotAsync(v1);
        await AddSnapshotAsync(v1, deleted: true);
        // Not counted: deleted, not the project's own quota, a migration's target, another project's.
        await AddVolumeAsync(ProjectA, 100, deleted: true);
        await AddVolumeAsync(ProjectA, 100, useQuota: false);
        await AddVolumeAsync(ProjectA, 100, migrationStatus: "target:" + Guid.NewGuid());
        await AddVolumeAsync(ProjectB, 100);

        var answer = await GetAsync($"/v3/os-quota-sets/{ProjectA}?usage=True", A);
        AssertStatus(HttpStatusCode.OK, answer);
        var set = Set(answer);
        void Used(string resource, int inUse, int limit)
        {
            Assert.Equal(limit, set[resource].GetProperty("limit").GetInt32());
            Assert.Equal(inUse, set[resource].GetProperty("in_use").GetInt32());
            Assert.Equal(0, set[resource].GetProperty("reserved").GetInt32());
        }
        Used("volumes", 2, 10);
        Used("snapshots", 1, 10);
        Used("gigabytes", 5 + 7 + 5, 1000);
        Used("volumes___DEFAULT__", 1, -1);
        Used("gigabytes___DEFAULT__", 10, -1);
        Used("snapshots___DEFAULT__", 1, -1);
        Used("volumes_gold", 1, -1);
        Used("gigabytes_gold", 7, -1);
        Used("snapshots_gold", 0, -1);
        Used("backups", 0, 10);
        Used("groups", 0, 10);
        Used("per_volume_gigabytes", 0, -1);
        Assert.Equal(ProjectA, set["id"].GetString());

        // usage=False is the plain form, as cinderclient asks it.
        var plain = Set(await GetAsync($"/v3/os-quota-sets/{ProjectA}?usage=False", A));
        Assert.Equal(JsonValueKind.Number, plain["volumes"].ValueKind);
        Assert.True(plain.ContainsKey("volumes_gold"));
    }

    [Fact]
    public async Task Usage_must_be_a_boolean()
    {
        var message = AssertError(HttpStatusCode.BadRequest, "badRequest", await GetAsync($"/v3/os-quota-sets/{ProjectA}?usage=maybe", A));
        Assert.Equal("Value 'maybe' for 'usage' is not a boolean.", message);
    }

    [Fact]
    public async Task A_reader_sees_its_own_projects_quota_and_not_anothers()
    {
        AssertStatus(HttpStatusCode.OK, await GetAsync($"/v3/os-quota-sets/{ProjectA}", ReaderA));
        var message = AssertError(HttpStatusCode.Forbidden, "forbidden", await GetAsync($"/v3/os-quota-sets/{ProjectA}", B));
        Assert.Equal("Policy doesn't allow volume_extension:quotas:show to be performed.", message);
        AssertError(HttpStatusCode.Forbidden, "forbidden", await GetAsync($"/v3/os-quota-sets/{ProjectA}/defaults", B));
        AssertStatus(HttpStatusCode.OK, await GetAsync($"/v3/os-quota-sets/{ProjectA}?usage=True", Admin));
    }

    [Fact]
    public async Task An_admin_sets_limits_and_the_project_sees_them()
    {
        var answer = await PutAsync($"/v3/os-quota-sets/{ProjectA}", Admin,
            new { quota_set = new Dictionary<string, object> { ["tenant_id"] = ProjectA, ["volumes"] = 3, ["gigabytes"] = "50", ["snapshots___DEFAULT__"] = -1, ["per_volume_gigabytes"] = 20 } });
        AssertStatus(HttpStatusCode.OK, answer);
        var set = Set(answer);
        Assert.False(set.ContainsKey("id"));
        Assert.Equal(3, set["volumes"].GetInt32());
        Assert.Equal(50, set["gigabytes"].GetInt32());
        Assert.Equal(20, set["per_volume_gigabytes"].GetInt32());
        Assert.Equal(10, set["snapshots"].GetInt32());

        var shown = Set(await GetAsync($"/v3/os-quota-sets/{ProjectA}", A));
        Assert.Equal(3, shown["volumes"].GetInt32());
        Assert.Equal(50, shown["gigabytes"].GetInt32());
        // Another project keeps the defaults; the defaults stay the defaults.
        Assert.Equal(10, Set(await GetAsync($"/v3/os-quota-sets/{ProjectB}", B))["volumes"].GetInt32());
        Assert.Equal(10, Set(await GetAsync($"/v3/os-quota-sets/{ProjectA}/defaults", A))["volumes"].GetInt32());

        // A second change overwrites the first.
        AssertStatus(HttpStatusCode.OK, await PutAsync($"/v3/os-quota-sets/{ProjectA}", Admin, new { quota_set = new { volumes = 4 } }));
        Assert.Equal(4, Set(await GetAsync($"/v3/os-quota-sets/{ProjectA}", A))["volumes"].GetInt32());
    }

    [Fact]
    public async Task Only_an_admin_changes_or_resets_limits()
    {
        var message = AssertError(HttpStatusCode.Forbidden, "forbidden", await PutAsync($"/v3/os-quota-sets/{ProjectA}", A, new { quota_set = new { volumes = 100 } }));
        Assert.Equal("Policy doesn't allow volume_extension:quotas:update to be performed.", message);
        Assert.Equal(0, await QuotaRowsAsync(ProjectA));
        AssertStatus(HttpStatusCode.OK, await PutAsync($"/v3/os-quota-sets/{ProjectA}", Admin, new { quota_set = new { volumes = 5 } }));
        message = AssertError(HttpStatusCode.Forbidden, "forbidden", await DeleteAsync($"/v3/os-quota-sets/{ProjectA}", A));
        Assert.Equal("Policy doesn't allow volume_extension:quotas:delete to be performed.", message);
        Assert.Equal(1, await QuotaRowsAsync(ProjectA));
    }

    [Fact]
    public async Task Delete_returns_the_project_to_the_defaults()
    {
        AssertStatus(HttpStatusCode.OK, await PutAsync($"/v3/os-quota-sets/{ProjectA}", Admin, new { quota_set = new { volumes = 5, snapshots = 2 } }));
        var answer = await DeleteAsync($"/v3/os-quota-sets/{ProjectA}", Admin);
        AssertStatus(HttpStatusCode.OK, answer);
        Assert.Equal("", answer.Text);
        Assert.Equal(0, await QuotaRowsAsync(ProjectA));
        var set = Set(await GetAsync($"/v3/os-quota-sets/{ProjectA}", A));
        Assert.Equal(10, set["volumes"].GetInt32());
        Assert.Equal(10, set["snapshots"].GetInt32());
    }

    [Fact]
    public async Task A_limit_below_what_the_project_uses_is_refused_and_nothing_is_written()
    {
        var v = await AddVolumeAsync(ProjectA, 30);
        await AddVolumeAsync(ProjectA, 30);
        await AddSnapshotAsync(v);
        var message = AssertError(HttpStatusCode.BadRequest, "badRequest",
            await PutAsync($"/v3/os-quota-sets/{ProjectA}", Admin, new { quota_set = new { snapshots = 5, volumes = 1 } }));
        Assert.Equal("Quota volumes limit must be equal or greater than existing resources. Current usage is 2 and the requested limit is 1.", message);
        Assert.Equal(0, await QuotaRowsAsync(ProjectA));

        message = AssertError(HttpStatusCode.BadRequest, "badRequest", await PutAsync($"/v3/os-quota-sets/{ProjectA}", Admin, new { quota_set = new { gigabytes = 89 } }));
        Assert.Equal("Quota gigabytes limit must be equal or greater than existing resources. Current usage is 90 and the requested limit is 89.", message);

        // Exactly the usage, unlimited, and per_volume_gigabytes (a per-volume cap, not a sum) pass.
        AssertStatus(HttpStatusCode.OK, await PutAsync($"/v3/os-quota-sets/{ProjectA}", Admin,
            new { quota_set = new { volumes = 2, gigabytes = -1, snapshots = 1, per_volume_gigabytes = 1 } }));
        Assert.Equal(4, await QuotaRowsAsync(ProjectA));
    }

    [Theory]
    [InlineData("""{"quota_set": {"volumes": -2}}""", "volumes must be >= -1")]
    [InlineData("""{"quota_set": {"volumes": 2147483648}}""", "volumes must be <= 2147483647")]
    [InlineData("""{"quota_set": {"volumes": "ten"}}""", "volumes must be an integer")]
    [InlineData("""{"quota_set": {"volumes": 1.5}}""", "volumes must be an integer")]
    [InlineData("""{"quota_set": {"volumes": true}}""", "volumes must be an integer")]
    [InlineData("""{"quota_set": {"volumes": null}}""", "volumes must be an integer")]
    [InlineData("""{"quota_set": {"volumes": 5, "instances": 3, "volumes_nosuchtype": 1}}""", "Invalid input received: Bad key(s) in quota set: instances, volumes_nosuchtype")]
    [InlineData("""{"quota_set": {}}""", "Invalid input for field/attribute quota_set. Value: {}. {} does not have enough properties")]
    [InlineData("""{"quota_set": 5}""", "Invalid input for field/attribute quota_set. Value: 5. 5 is not of type 'object'")]
    [InlineData("""{"volumes": 5}""", "Additional properties are not allowed ('volumes' was unexpected)")]
    [InlineData("""{}""", "'quota_set' is a required property")]
    [InlineData("""{"quota_set": """, "Malformed request body")]
    public async Task A_bad_body_is_a_400_that_says_why_and_writes_nothing(string body, string expected)
    {
        var message = AssertError(HttpStatusCode.BadRequest, "badRequest", await PutAsync($"/v3/os-quota-sets/{ProjectA}", Admin, body));
        Assert.Equal(expected, message);
        Assert.Equal(0, await QuotaRowsAsync(ProjectA));
    }

    [Fact]
    public async Task A_new_volume_type_brings_its_own_resources()
    {
        Assert.False(Set(await GetAsync($"/v3/os-quota-sets/{ProjectA}", A)).ContainsKey("volumes_silver"));
        await AddVolumeTypeAsync("silver");
        var set = Set(await GetAsync($"/v3/os-quota-sets/{ProjectA}", A));
        Assert.Equal(-1, set["volumes_silver"].GetInt32());
        Assert.Equal(-1, set["gigabytes_silver"].GetInt32());
        Assert.Equal(-1, set["snapshots_silver"].GetInt32());
        AssertStatus(HttpStatusCode.OK, await PutAsync($"/v3/os-quota-sets/{ProjectA}", Admin, new { quota_set = new { volumes_silver = 2 } }));
        Assert.Equal(2, Set(await GetAsync($"/v3/os-quota-sets/{ProjectA}", A))["volumes_silver"].GetInt32());
    }
}

/// <summary>The defaults come from cinder's options (<c>[DEFAULT] quota_volumes</c>, ...).</summary>
public sealed class QuotaDefaultsTests(MySqlFixture mysql, RabbitMqFixture rabbit)
    : VolumeApiTestBase(mysql, rabbit, "volqdefaults"), IClassFixture<MySqlFixture>, IClassFixture<RabbitMqFixture>
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["messaging:wait_until_started"] = "true",
        ["DEFAULT:quota_volumes"] = "3",
        ["DEFAULT:quota_snapshots"] = "4",
        ["DEFAULT:quota_gigabytes"] = "55",
        ["DEFAULT:quota_backups"] = "6",
        ["DEFAULT:quota_backup_gigabytes"] = "77",
        ["DEFAULT:quota_groups"] = "8",
        ["DEFAULT:per_volume_size_limit"] = "9",
        ["DEFAULT:no_snapshot_gb_quota"] = "true",
    };

    [Fact]
    public async Task The_configured_defaults_are_shown_and_enforced_by_limits()
    {
        using var doc = JsonDocument.Parse((await GetAsync($"/v3/os-quota-sets/{ProjectA}/defaults", A)).Text);
        var set = doc.RootElement.GetProperty("quota_set");
        Assert.Equal(3, set.GetProperty("volumes").GetInt32());
        Assert.Equal(4, set.GetProperty("snapshots").GetInt32());
        Assert.Equal(55, set.GetProperty("gigabytes").GetInt32());
        Assert.Equal(6, set.GetProperty("backups").GetInt32());
        Assert.Equal(77, set.GetProperty("backup_gigabytes").GetInt32());
        Assert.Equal(8, set.GetProperty("groups").GetInt32());
        Assert.Equal(9, set.GetProperty("per_volume_gigabytes").GetInt32());

        var limits = (await GetAsync("/v3/limits", A)).Body.GetProperty("limits").GetProperty("absolute");
        Assert.Equal(3, limits.GetProperty("maxTotalVolumes").GetInt32());
        Assert.Equal(55, limits.GetProperty("maxTotalVolumeGigabytes").GetInt32());
    }

    [Fact]
    public async Task With_no_snapshot_gb_quota_snapshots_do_not_count_in_gigabytes()
    {
        var v = await AddVolumeAsync(ProjectA, 10);
        await AddSnapshotAsync(v);
        var set = (await GetAsync($"/v3/os-quota-sets/{ProjectA}?usage=true", A)).Body.GetProperty("quota_set");
        Assert.Equal(10, set.GetProperty("gigabytes").GetProperty("in_use").GetInt32());
        Assert.Equal(1, set.GetProperty("snapshots").GetProperty("in_use").GetInt32());
    }
}
