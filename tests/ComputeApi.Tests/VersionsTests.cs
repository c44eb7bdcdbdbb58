using System.Net;
using System.Text.Json;
using Platform.TestSupport;

namespace ComputeApi.Tests;

/// <summary>Version discovery, which clients read (without a token) before anything else to learn the microversion range.</summary>
public sealed class VersionsTests(MySqlFixture mysql, RabbitMqFixture rabbit)
    : ComputeApiTestBase(mysql, rabbit, "cversions"), IClassFixture<MySqlFixture>, IClassFixture<RabbitMqFixture>
{
    [Theory]
    [InlineData("/v2.1")]
    [InlineData("/v2.1/")]
    public async Task The_versioned_root_describes_the_microversion_range(string path)
    {
        using var response = await Http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var version = doc.RootElement.GetProperty("version");
        Assert.Equal("v2.1", version.GetProperty("id").GetString());
        Assert.Equal("CURRENT", version.GetProperty("status").GetString());
        Assert.Equal("2.1", version.GetProperty("min_version").GetString());
        Assert.Equal("2.79", version.GetProperty("version").GetString());
        Assert.Equal("application/json", version.GetProperty("media-types")[0].GetProperty("base").GetString());
        Assert.EndsWith("/v2.1/", version.GetProperty("links")[0].GetProperty("href").GetString());
    }

    [Fact]
    public async Task The_root_lists_both_versions()
    {
        using var response = await Http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var versions = doc.RootElement.GetProperty("versions").EnumerateArray().ToList();
        Assert.Equal(["v2.0", "v2.1"], versions.Select(v => v.GetProperty("id").GetString()));
        Assert.Equal("2.79", versions[1].GetProperty("version").GetString());
    }
}
