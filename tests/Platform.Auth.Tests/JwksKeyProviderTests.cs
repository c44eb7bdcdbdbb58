using Microsoft.Extensions.Logging.Abstractions;

namespace Platform.Auth.Tests;

public sealed class JwksKeyProviderTests : IAsyncLifetime
{
    private readonly ManualTimeProvider time = new();
    private readonly TestKey oldKey = new("key-old");
    private readonly TestKey newKey = new("key-new");
    private JwksServer server = null!;
    private JwksKeyProvider provider = null!;
    private TokenValidator validator = null!;

    public async Task InitializeAsync()
    {
        server = await JwksServer.StartAsync();
        server.Publish(oldKey);
        var settings = new AuthTokenSettings
        {
            JwksUrl = new Uri(server.BaseUrl + "/v3/auth/jwks"),
            JwksRefetchInterval = TimeSpan.FromSeconds(10),
            JwksRefreshInterval = TimeSpan.FromMinutes(5),
            ClockSkew = TimeSpan.FromSeconds(30),
        };
        provider = new JwksKeyProvider(new PlainHttpClientFactory(), settings, time, NullLogger<JwksKeyProvider>.Instance);
        validator = new TokenValidator(provider, new InMemoryTokenRevocationList(time), settings, time);
    }

    private Task<TokenValidationOutcome> Validate(TestKey key) => validator.ValidateAsync(key.Sign(TestKey.Payload(time.GetUtcNow())));

    [Fact]
    public async Task Unknown_kid_triggers_a_refetch_that_finds_the_rotated_key()
    {
        Assert.True((await Validate(oldKey)).IsValid);
        Assert.Equal(1, server.Hits);

        server.Publish(oldKey, newKey);
        time.Advance(TimeSpan.FromSeconds(11));
        var outcome = await Validate(newKey);

        Assert.True(outcome.IsValid, outcome.Reason);
        Assert.Equal(2, server.Hits);
        // The old key is still published, so its tokens still validate, without another fetch.
        Assert.True((await Validate(oldKey)).IsValid);
        Assert.Equal(2, server.Hits);
    }

    [Fact]
    public async Task Unknown_kids_refetch_at_most_once_per_interval()
    {
        Assert.True((await Validate(oldKey)).IsValid);
        time.Advance(TimeSpan.FromSeconds(11));
        for (var i = 0; i < 20; i++)
        {
            using var forged = new TestKey("forged-" + i);
            Assert.Equal(TokenFailure.UnknownKey, (await Validate(forged)).Failure);
        }
        // The first unknown kid refetched; the other nineteen fell within the interval.
        Assert.Equal(2, server.Hits);

        server.Publish(oldKey, newKey);
        Assert.Equal(TokenFailure.UnknownKey, (await Validate(newKey)).Failure);
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.True((await Validate(newKey)).IsValid);
        Assert.Equal(3, server.Hits);
    }

    [Fact]
    public async Task The_set_is_refreshed_periodically_so_withdrawn_keys_stop_working()
    {
        Assert.True((await Validate(oldKey)).IsValid);
        server.Publish(newKey);
        time.Advance(TimeSpan.FromMinutes(5));

        // This call starts the refresh in the background and is answered from the cached set.
        Assert.True((await Validate(oldKey)).IsValid);
        await WaitFor(() => server.Hits == 2);
        await WaitFor(async () => (await Validate(oldKey)).Failure == TokenFailure.UnknownKey);
        Assert.True((await Validate(newKey)).IsValid);
        Assert.Equal(2, server.Hits);
    }

    [Fact]
    public async Task Keys_that_cannot_be_fetched_make_tokens_undecidable_until_identity_returns()
    {
        server.Failing = true;
        Assert.Equal(TokenFailure.KeysUnavailable, (await Validate(oldKey)).Failure);

        server.Failing = false;
        Assert.Equal(TokenFailure.KeysUnavailable, (await Validate(oldKey)).Failure);
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.True((await Validate(oldKey)).IsValid);
    }

    [Fact]
    public async Task Cached_keys_keep_working_while_identity_is_down()
    {
        Assert.True((await Validate(oldKey)).IsValid);
        server.Failing = true;
        time.Advance(TimeSpan.FromMinutes(6));
        Assert.True((await Validate(oldKey)).IsValid);
        await WaitFor(() => server.Hits == 2);
        Assert.True((await Validate(oldKey)).IsValid);
    }

    private static Task WaitFor(Func<bool> condition) => WaitFor(() => Task.FromResult(condition()));

    private static async Task WaitFor(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not met in 10s");
            await Task.Delay(20);
        }
    }

    public async Task DisposeAsync()
    {
        provider.Dispose();
        oldKey.Dispose();
        newKey.Dispose();
        await server.DisposeAsync();
    }

    private sealed class PlainHttpClientFactory : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new();
    }
}
