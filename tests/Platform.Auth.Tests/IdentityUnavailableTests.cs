using System.Net;

namespace Platform.Auth.Tests;

public sealed class IdentityUnavailableTests : IAsyncLifetime
{
    private JwksServer identity = null!;
    private AuthTestApp service = null!;

    public async Task InitializeAsync()
    {
        identity = await JwksServer.StartAsync();
        identity.Failing = true;
        service = await AuthTestApp.StartAsync(identity.BaseUrl, wwwAuthenticateUri: "https://cloud.example/identity");
    }

    [Fact]
    public async Task Tokens_that_cannot_be_checked_answer_503_not_401()
    {
        using var key = new TestKey("k");
        var response = await service.GetAsync("/protected", key.Sign(TestKey.Payload(DateTimeOffset.UtcNow)));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
    }

    [Fact]
    public async Task The_challenge_names_www_authenticate_uri_when_set()
    {
        var response = await service.GetAsync("/protected");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Keystone uri=\"https://cloud.example/identity\"", response.Headers.WwwAuthenticate.ToString());
    }

    public async Task DisposeAsync()
    {
        await service.DisposeAsync();
        await identity.DisposeAsync();
    }
}
