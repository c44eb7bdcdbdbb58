using System.Net;
using System.Text.Json;
using Platform.TestSupport;

namespace Volume.Tests;

/// <summary>/limits as cinder answers it: no rate limits; the absolute limits and what the project uses of them.</summary>
public sealed class LimitsTests(MySqlFixture mysql, RabbitMqFixture rabbit)
    : VolumeApiTestBase(mysql, rabbit, "vollimits"), IClassFixture<MySqlFixture>, IClassFixture<RabbitMqFixture>
{
    private static readonly string[] MaxKeys = ["maxTotalVolumes", "maxTotalSnapshots", "maxTotalVolumeGigabytes", "maxTotalBackups", "maxTotalBackupGigabytes"];
    private static readonly string[] UsedKeys = ["totalVolumesUsed", "totalGigabytesUsed", "totalSnapshotsUsed", "totalBackupsUsed", "totalBackupGigabytesUsed"];

    private async Task<JsonElement> AbsoluteAsync(string path, string token, string? microversion = null)
    {
        var answer = await GetAsync(path, token, microversion);
        AssertStatus(HttpStatusCode.OK, answer);
        var limits = answer.Body.GetProperty("limits");
        Assert.Equal(0, limits.GetProperty("rate").GetArrayLength());
        return limits.GetProperty("absolute");
    }

    [Fact]
    public async Task The_absolute_limits_and_usage_are_cinders_keys()
    {
        var v = await AddVolumeAsync(ProjectA, 4);
        await AddVolumeAsync(ProjectA, 6);
        await AddSnapshotAsync(v);
        var absolute = await AbsoluteAsync("/v3/limits", A);
        Assert.Equal(MaxKeys.Concat(UsedKeys).Order(), absolute.EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal(10, absolute.GetProperty("maxTotalVolumes").GetInt32());
        Assert.Equal(10, absolute.GetProperty("maxTotalSnapshots").GetInt32());
        Assert.Equal(1000, absolute.GetProperty("maxTotalVolumeGigabytes").GetInt32());
        Assert.Equal(10, absolute.GetProperty("maxTotalBackups").GetInt32());
        Assert.Equal(1000, absolute.GetProperty("maxTotalBackupGigabytes").GetInt32());
        Assert.Equal(2, absolute.GetProperty("totalVolumesUsed").GetInt32());
        Assert.Equal(1, absolute.GetProperty("totalSnapshotsUsed").GetInt32());
        Assert.Equal(14, absolute.GetProperty("totalGigabytesUsed").GetInt32());
        Assert.Equal(0, absolute.GetProperty("totalBackupsUsed").GetInt32());
        Assert.Equal(0, absolute.GetProperty("totalBackupGigabytesUsed").GetInt32());
    }

    [Fact]
    public async Task A_projects_own_limits_are_its_limits()
    {
        AssertStatus(HttpStatusCode.OK, await PutAsync($"/v3/os-quota-sets/{ProjectA}", Admin, new { quota_set = new { volumes = 4, backups = 0 } }));
        var absolute = await AbsoluteAsync($"/v3/{ProjectA}/limits", A);
        Assert.Equal(4, absolute.GetProperty("maxTotalVolumes").GetInt32());
        Assert.Equal(0, absolute.GetProperty("maxTotalBackups").GetInt32());
        Assert.Equal(10, (await AbsoluteAsync("/v3/limits", B)).GetProperty("maxTotalVolumes").GetInt32());
    }

    [Fact]
    public async Task From_3_39_an_admin_may_name_another_project_and_no_one_else_may()
    {
        AssertStatus(HttpStatusCode.OK, await PutAsync($"/v3/os-quota-sets/{ProjectA}", Admin, new { quota_set = new { volumes = 4 } }));
        await AddVolumeAsync(ProjectA, 1);
        var admins = await AbsoluteAsync($"/v3/limits?project_id={ProjectA}", Admin, "3.39");
        Assert.Equal(4, admins.GetProperty("maxTotalVolumes").GetInt32());
        Assert.Equal(1, admins.GetProperty("totalVolumesUsed").GetInt32());
        Assert.Equal(4, (await AbsoluteAsync($"/v3/limits?tenant_id={ProjectA}", Admin, "3.39")).GetProperty("maxTotalVolumes").GetInt32());
        // Before 3.39 the filter is not there; a non-admin's is ignored, as cinder ignores it.
        Assert.Equal(10, (await AbsoluteAsync($"/v3/limits?project_id={ProjectA}", Admin, "3.38")).GetProperty("maxTotalVolumes").GetInt32());
        var others = await AbsoluteAsync($"/v3/limits?project_id={ProjectA}", B, "3.39");
        Assert.Equal(10, others.GetProperty("maxTotalVolumes").GetInt32());
        Assert.Equal(0, others.GetProperty("totalVolumesUsed").GetInt32());
    }

    [Fact]
    public async Task Without_a_reader_role_the_usage_is_left_out()
    {
        var roleless = Tokens.Issue(ProjectA, "observer");
        var absolute = await AbsoluteAsync("/v3/limits", roleless);
        Assert.Equal(MaxKeys.Order(), absolute.EnumerateObject().Select(p => p.Name).Order());
    }
}
