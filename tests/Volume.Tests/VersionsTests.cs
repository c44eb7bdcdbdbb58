using System.Net;
using System.Text.Json;
using Platform.TestSupport;

namespace Volume.Tests;

/// <summary>
/// Version discovery and microversions as cinder answers them: the one v3.0 version with its
/// range 3.0 to 3.60; <c>OpenStack-API-Version: volume 3.N</c> read, echoed with <c>Vary</c>,
/// refused with cinder's 400 and 406.
/// </summary>
public sealed class VersionsTests(MySqlFixture mysql, RabbitMqFixture rabbit)
    : VolumeApiTestBase(mysql, rabbit, "volversions"), IClassFixture<MySqlFixture>, IClassFixture<RabbitMqFixture>
{
    private static void AssertV3(JsonElement body, string baseUri)
    {
        var version = Assert.Single(body.GetProperty("versions").EnumerateArray());
        Assert.Equal("v3.0", version.GetProperty("id").GetString());
        Assert.Equal("CURRENT", version.GetProperty("status").GetString());
        Assert.Equal("3.0", version.GetProperty("min_version").GetString());
        Assert.Equal("3.60", version.GetProperty("version").GetString());
        Assert.Equal("application/vnd.openstack.volume+json;version=3", version.GetProperty("media-types")[0].GetProperty("type").GetString());
        var links = version.GetProperty("links").EnumerateArray().ToList();
        Assert.Contains(links, l => l.GetProperty("rel").GetString() == "describedby");
        Assert.Equal($"{baseUri}v3/", links.Single(l => l.GetProperty("rel").GetString() == "self").GetProperty("href").GetString());
    }

    [Fact]
    public async Task The_root_answers_300_with_the_v3_version_and_needs_no_token()
    {
        var answer = await GetAsync("/", token: null);
        AssertStatus(HttpStatusCode.MultipleChoices, answer);
        AssertV3(answer.Body, Http.BaseAddress!.ToString());
        Assert.Equal("volume 3.0", answer.Microversion);
        Assert.Contains("OpenStack-API-Version", answer.Headers.Vary);
    }

    [Theory]
    [InlineData("/v3")]
    [InlineData("/v3/")]
    public async Task The_versioned_root_answers_200_with_the_same_version(string path)
    {
        var answer = await GetAsync(path, A);
        AssertStatus(HttpStatusCode.OK, answer);
        AssertV3(answer.Body, Http.BaseAddress!.ToString());
    }

    [Fact]
    public async Task The_versioned_root_sits_behind_the_token_check_as_in_cinder()
    {
        AssertStatus(HttpStatusCode.Unauthorized, await GetAsync("/v3/", token: null));
    }

    [Theory]
    [InlineData(null, "volume 3.0")]
    [InlineData("3.0", "volume 3.0")]
    [InlineData("3.27", "volume 3.27")]
    [InlineData("3.60", "volume 3.60")]
    [InlineData("latest", "volume 3.60")]
    public async Task The_version_used_is_echoed_with_vary(string? asked, string answered)
    {
        var answer = await GetAsync("/v3/limits", A, asked);
        AssertStatus(HttpStatusCode.OK, answer);
        Assert.Equal(answered, answer.Microversion);
        Assert.Contains("OpenStack-API-Version", answer.Headers.Vary);
    }

    [Fact]
    public async Task The_volume_entry_is_found_among_other_services()
    {
        var answer = await SendAsync(HttpMethod.Get, "/v3/limits", A, configure: r => r.Headers.Add("OpenStack-API-Version", "compute 2.60, volume 3.39"));
        AssertStatus(HttpStatusCode.OK, answer);
        Assert.Equal("volume 3.39", answer.Microversion);
    }

    [Theory]
    [InlineData("3.61")]
    [InlineData("3.99")]
    [InlineData("2.0")]
    [InlineData("4.0")]
    public async Task A_version_out_of_range_is_a_406_that_still_names_it(string asked)
    {
        var answer = await GetAsync("/v3/limits", A, asked);
        var message = AssertError(HttpStatusCode.NotAcceptable, "computeFault", answer);
        Assert.Equal($"Version {asked} is not supported by the API. Minimum is 3.0 and maximum is 3.60.", message);
        Assert.Equal($"volume {asked}", answer.Microversion);
    }

    [Theory]
    [InlineData("3.a")]
    [InlineData("3.05")]
    [InlineData("3")]
    public async Task A_malformed_version_is_a_400_without_a_version_header(string asked)
    {
        var answer = await GetAsync("/v3/limits", A, asked);
        var message = AssertError(HttpStatusCode.BadRequest, "badRequest", answer);
        Assert.Equal($"API Version String {asked} is of invalid format. Must be of format MajorNum.MinorNum.", message);
        Assert.Null(answer.Microversion);
    }

    [Fact]
    public async Task A_header_for_other_services_only_is_a_400()
    {
        var answer = await SendAsync(HttpMethod.Get, "/v3/limits", A, configure: r => r.Headers.Add("OpenStack-API-Version", "compute 2.1"));
        AssertError(HttpStatusCode.BadRequest, "badRequest", answer);
    }

    [Fact]
    public async Task Version_discovery_is_versioned_too()
    {
        var answer = await GetAsync("/", token: null, "3.99");
        AssertError(HttpStatusCode.NotAcceptable, "computeFault", answer);
    }

    [Fact]
    public async Task Probes_and_unknown_paths_carry_no_version()
    {
        using var healthz = await Http.GetAsync("/healthz");
        Assert.False(healthz.Headers.Contains("OpenStack-API-Version"));
        var unknown = await GetAsync("/v3/no-such-thing", A, "3.99");
        AssertError(HttpStatusCode.NotFound, "itemNotFound", unknown);
        Assert.Null(unknown.Microversion);
    }
}
