using Microsoft.Extensions.Configuration;

namespace Platform.Auth.Tests;

public class AuthTokenSettingsTests
{
    private static AuthTokenSettings From(params (string Key, string Value)[] values) =>
        AuthTokenSettings.FromConfiguration(new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>("keystone_authtoken:" + v.Key, v.Value)))
            .Build());

    [Theory]
    [InlineData("http://keystone:5000", "http://keystone:5000/v3/auth/jwks")]
    [InlineData("http://keystone:5000/", "http://keystone:5000/v3/auth/jwks")]
    [InlineData("http://keystone:5000/v3", "http://keystone:5000/v3/auth/jwks")]
    [InlineData("https://cloud/identity", "https://cloud/identity/v3/auth/jwks")]
    public void Jwks_url_defaults_from_auth_url(string authUrl, string expected)
    {
        var settings = From(("auth_url", authUrl));
        Assert.Equal(new Uri(expected), settings.JwksUrl);
        Assert.Equal(authUrl, settings.WwwAuthenticateUri);
    }

    [Fact]
    public void Explicit_options_win()
    {
        var settings = From(("auth_url", "http://keystone:5000"), ("jwks_url", "http://keys/jwks.json"),
            ("www_authenticate_uri", "https://public/identity"), ("jwks_refetch_interval", "2.5"), ("jwks_refresh_interval", "60"));
        Assert.Equal(new Uri("http://keys/jwks.json"), settings.JwksUrl);
        Assert.Equal("https://public/identity", settings.WwwAuthenticateUri);
        Assert.Equal(TimeSpan.FromSeconds(2.5), settings.JwksRefetchInterval);
        Assert.Equal(TimeSpan.FromMinutes(1), settings.JwksRefreshInterval);
    }

    [Fact]
    public void Defaults_are_ten_seconds_and_five_minutes()
    {
        var settings = From();
        Assert.Null(settings.JwksUrl);
        Assert.Equal(TimeSpan.FromSeconds(10), settings.JwksRefetchInterval);
        Assert.Equal(TimeSpan.FromMinutes(5), settings.JwksRefreshInterval);
    }

    [Fact]
    public void A_bad_interval_is_refused() =>
        Assert.Throws<FormatException>(() => From(("jwks_refetch_interval", "soon")));
}
