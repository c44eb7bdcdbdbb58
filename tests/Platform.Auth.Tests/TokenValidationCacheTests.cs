using Microsoft.Extensions.Configuration;
using Microsoft.IdentityModel.Tokens;

namespace Platform.Auth.Tests;

public sealed class TokenValidationCacheTests : IDisposable
{
    private readonly TestKey key = new("key-1");
    private readonly ManualTimeProvider time = new();
    private readonly InMemoryTokenRevocationList revocations;
    private readonly CountingKeyProvider keys;

    public TokenValidationCacheTests()
    {
        revocations = new InMemoryTokenRevocationList(time);
        keys = new CountingKeyProvider(Jwks.Parse(Jwks.Serialize([(key.KeyId, key.Key)])));
    }

    private TokenValidator Validator(AuthTokenSettings? settings = null) => new(keys, revocations, settings ?? new AuthTokenSettings(), time);

    private string Token() => key.Sign(TestKey.Payload(time.GetUtcNow()));

    [Fact]
    public async Task A_repeat_is_answered_without_asking_for_the_key()
    {
        var validator = Validator();
        var token = Token();

        var first = await validator.ValidateAsync(token);
        var second = await validator.ValidateAsync(token);

        Assert.True(first.IsValid, first.Reason);
        Assert.True(second.IsValid, second.Reason);
        Assert.Equal(first.Token, second.Token);
        Assert.Equal(1, keys.Lookups);
    }

    [Fact]
    public async Task Expiry_applies_to_a_cached_token()
    {
        // Cached for longer than the token lives, so only expiry can end it.
        var validator = Validator(new AuthTokenSettings { TokenCacheTime = TimeSpan.FromHours(2) });
        var token = Token();
        Assert.True((await validator.ValidateAsync(token)).IsValid);

        time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(20));
        Assert.True((await validator.ValidateAsync(token)).IsValid);
        time.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(TokenFailure.Expired, (await validator.ValidateAsync(token)).Failure);
        Assert.Equal(1, keys.Lookups);
        Assert.Equal(0, validator.CachedTokenCount);
    }

    [Fact]
    public async Task Revocation_applies_to_a_cached_token_at_once()
    {
        var validator = Validator();
        var payload = TestKey.Payload(time.GetUtcNow());
        var token = key.Sign(payload);
        Assert.True((await validator.ValidateAsync(token)).IsValid);

        revocations.RevokeAuditId(payload.AuditIds[0]);

        Assert.Equal(TokenFailure.Revoked, (await validator.ValidateAsync(token)).Failure);
        Assert.Equal(TokenFailure.Revoked, (await validator.ValidateAsync(token)).Failure);
        Assert.Equal(1, keys.Lookups);
    }

    [Fact]
    public async Task Failures_are_not_cached()
    {
        using var later = new TestKey("key-later");
        var validator = Validator();
        var token = later.Sign(TestKey.Payload(time.GetUtcNow()));
        Assert.Equal(TokenFailure.UnknownKey, (await validator.ValidateAsync(token)).Failure);

        // The key shows up, as after a JWKS refetch: the same token now passes.
        keys.Add(later.KeyId, Jwks.Parse(Jwks.Serialize([(later.KeyId, later.Key)]))[later.KeyId]);

        Assert.True((await validator.ValidateAsync(token)).IsValid);
        Assert.Equal(2, keys.Lookups);
    }

    [Fact]
    public async Task The_signature_is_checked_again_after_the_cache_time()
    {
        var validator = Validator(new AuthTokenSettings { TokenCacheTime = TimeSpan.FromMinutes(5) });
        var token = Token();
        Assert.True((await validator.ValidateAsync(token)).IsValid);
        time.Advance(TimeSpan.FromMinutes(4));
        Assert.True((await validator.ValidateAsync(token)).IsValid);
        Assert.Equal(1, keys.Lookups);

        // The key was withdrawn from the published set in the meantime.
        keys.Remove(key.KeyId);
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(TokenFailure.UnknownKey, (await validator.ValidateAsync(token)).Failure);
        Assert.Equal(2, keys.Lookups);
    }

    [Fact]
    public async Task A_null_token_is_refused_as_malformed_rather_than_throwing() =>
        Assert.Equal(TokenFailure.Malformed, (await Validator().ValidateAsync(null!)).Failure);

    [Fact]
    public async Task A_cache_size_of_zero_turns_the_cache_off()
    {
        var validator = Validator(new AuthTokenSettings { TokenCacheSize = 0 });
        var token = Token();
        Assert.True((await validator.ValidateAsync(token)).IsValid);
        Assert.True((await validator.ValidateAsync(token)).IsValid);
        Assert.Equal(2, keys.Lookups);
        Assert.Equal(0, validator.CachedTokenCount);
    }

    [Fact]
    public async Task The_validator_keeps_no_more_than_the_cap()
    {
        var validator = Validator(new AuthTokenSettings { TokenCacheSize = 10 });
        for (var i = 0; i < 25; i++)
        {
            Assert.True((await validator.ValidateAsync(Token())).IsValid);
            Assert.InRange(validator.CachedTokenCount, 1, 10);
        }
        // Whatever was evicted still validates, through the full check.
        var token = Token();
        Assert.True((await validator.ValidateAsync(token)).IsValid);
        Assert.True((await validator.ValidateAsync(token)).IsValid);
    }

    [Fact]
    public void A_full_cache_evicts_stale_entries_first()
    {
        var cache = new ValidatedTokenCache(4);
        var now = time.GetUtcNow();
        cache.Add("stale-1", Entry(now, verifyAgainAt: now), now);
        cache.Add("stale-2", Entry(now, verifyAgainAt: now), now);
        cache.Add("fresh-1", Entry(now, verifyAgainAt: now.AddMinutes(5)), now);
        cache.Add("fresh-2", Entry(now, verifyAgainAt: now.AddMinutes(5)), now);

        cache.Add("fresh-3", Entry(now, verifyAgainAt: now.AddMinutes(5)), now);

        Assert.Equal(3, cache.Count);
        Assert.False(cache.TryGet("stale-1", out _));
        Assert.False(cache.TryGet("stale-2", out _));
        Assert.True(cache.TryGet("fresh-1", out _));
        Assert.True(cache.TryGet("fresh-3", out _));
    }

    [Fact]
    public async Task The_cap_holds_under_concurrent_inserts()
    {
        var cache = new ValidatedTokenCache(64);
        var now = time.GetUtcNow();
        var entry = Entry(now, now.AddMinutes(5));
        var maxSeen = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 5_000; i++)
            {
                cache.Add($"{t}-{i}", entry, now);
                if (i % 7 == 0) cache.Remove($"{t}-{i - 3}");
                var seen = cache.Count;
                int prior;
                do prior = Volatile.Read(ref maxSeen); while (seen > prior && Interlocked.CompareExchange(ref maxSeen, seen, prior) != prior);
            }
        })));
        Assert.InRange(maxSeen, 1, 64);
        Assert.InRange(cache.Count, 1, 64);
    }

    [Fact]
    public void Cache_options_are_read_from_configuration()
    {
        static AuthTokenSettings From(params (string Key, string Value)[] values) => AuthTokenSettings.FromConfiguration(new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>("keystone_authtoken:" + v.Key, v.Value))).Build());

        Assert.Equal(10_000, From().TokenCacheSize);
        Assert.Equal(TimeSpan.FromMinutes(5), From().TokenCacheTime);
        var set = From(("token_cache_size", "50"), ("token_cache_time", "30"));
        Assert.Equal(50, set.TokenCacheSize);
        Assert.Equal(TimeSpan.FromSeconds(30), set.TokenCacheTime);
        Assert.Throws<FormatException>(() => From(("token_cache_size", "-1")));
    }

    private CachedToken Entry(DateTimeOffset now, DateTimeOffset verifyAgainAt)
    {
        var p = TestKey.Payload(now);
        var token = new ValidatedToken
        {
            KeyId = key.KeyId, UserId = p.UserId, IssuedAt = p.IssuedAt, ExpiresAt = p.ExpiresAt, AuditIds = p.AuditIds,
        };
        return new CachedToken(token, Task.FromResult(TokenValidationOutcome.Valid(token)), verifyAgainAt);
    }

    public void Dispose() => key.Dispose();

    /// <summary>A fixed key set that counts how often it is asked.</summary>
    private sealed class CountingKeyProvider(IReadOnlyDictionary<string, SecurityKey> initial) : ISigningKeyProvider
    {
        private readonly Dictionary<string, SecurityKey> keys = new(initial);
        private int lookups;

        public int Lookups => Volatile.Read(ref lookups);

        public void Add(string kid, SecurityKey key) => keys[kid] = key;

        public void Remove(string kid) => keys.Remove(kid);

        public ValueTask<SecurityKey?> FindKeyAsync(string keyId, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref lookups);
            return ValueTask.FromResult(keys.GetValueOrDefault(keyId));
        }
    }
}
