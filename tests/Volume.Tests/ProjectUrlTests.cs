using System.Net;
using Platform.TestSupport;

namespace Volume.Tests;

/// <summary>
/// cinder's two URL forms, <c>/v3/{project_id}/...</c> and <c>/v3/...</c>: the catalog's
/// <c>http://host:8776/v3</c> makes cinderclient use the second; a classic catalog the first.
/// </summary>
public sealed class ProjectUrlTests(MySqlFixture mysql, RabbitMqFixture rabbit)
    : VolumeApiTestBase(mysql, rabbit, "volurls"), IClassFixture<MySqlFixture>, IClassFixture<RabbitMqFixture>
{
    [Fact]
    public async Task Both_forms_answer_the_same()
    {
        foreach (var path in new[] { "/v3/limits", $"/v3/{ProjectA}/limits" })
            AssertStatus(HttpStatusCode.OK, await GetAsync(path, A));
        var without = await GetAsync($"/v3/os-quota-sets/{ProjectA}", A);
        var with = await GetAsync($"/v3/{ProjectA}/os-quota-sets/{ProjectA}", A);
        AssertStatus(HttpStatusCode.OK, without);
        Assert.Equal(without.Text, with.Text);
        AssertStatus(HttpStatusCode.OK, await GetAsync($"/v3/{ProjectA}/os-quota-sets/{ProjectA}/defaults", A));
    }

    [Fact]
    public async Task Another_projects_id_in_the_url_is_a_malformed_url_even_for_an_admin()
    {
        var message = AssertError(HttpStatusCode.BadRequest, "badRequest", await GetAsync($"/v3/{ProjectB}/limits", A));
        Assert.Equal("Malformed request url", message);
        AssertError(HttpStatusCode.BadRequest, "badRequest", await GetAsync($"/v3/{ProjectA}/os-quota-sets/{ProjectA}", Admin));
        // Nothing is written through a refused URL.
        AssertError(HttpStatusCode.BadRequest, "badRequest", await PutAsync($"/v3/{ProjectA}/os-quota-sets/{ProjectA}", Admin, new { quota_set = new { volumes = 3 } }));
        Assert.Equal(0, await QuotaRowsAsync(ProjectA));
    }

    [Fact]
    public async Task A_segment_that_cannot_be_a_project_id_is_not_one()
    {
        // cinder's project_id_regex is [0-9a-f\-]+: anything else is no route at all.
        AssertError(HttpStatusCode.NotFound, "itemNotFound", await GetAsync("/v3/not_a_project/limits", A));
    }

    [Fact]
    public async Task The_api_wants_a_token_in_either_form()
    {
        AssertStatus(HttpStatusCode.Unauthorized, await GetAsync("/v3/limits", token: null));
        AssertStatus(HttpStatusCode.Unauthorized, await GetAsync($"/v3/{ProjectA}/limits", token: null));
        AssertStatus(HttpStatusCode.Unauthorized, await GetAsync($"/v3/os-quota-sets/{ProjectA}", token: "not-a-token"));
    }
}

/// <summary><c>[DEFAULT] project_id_regex</c> widens what a project id in a URL may be, as in cinder.</summary>
public sealed class ProjectIdRegexTests(MySqlFixture mysql, RabbitMqFixture rabbit)
    : VolumeApiTestBase(mysql, rabbit, "volregex"), IClassFixture<MySqlFixture>, IClassFixture<RabbitMqFixture>
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["messaging:wait_until_started"] = "true",
        ["DEFAULT:project_id_regex"] = "[0-9a-z_-]+",
    };

    [Fact]
    public async Task A_configured_pattern_admits_other_ids()
    {
        var token = Tokens.Issue("project_under_score", "member", "reader");
        AssertStatus(HttpStatusCode.OK, await GetAsync("/v3/project_under_score/limits", token));
        AssertError(HttpStatusCode.BadRequest, "badRequest", await GetAsync("/v3/other_project/limits", token));
    }
}
