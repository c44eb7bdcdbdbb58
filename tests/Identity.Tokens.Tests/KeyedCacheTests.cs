using Identity.Common;
using Platform.Auth;

namespace Identity.Tokens.Tests;

public sealed class KeyedCacheTests
{
    private readonly ManualClock clock = new();
    private readonly InMemoryTokenRevocationList revocations;
    private readonly IdentityChanges changes;
    private int loads;

    public KeyedCacheTests()
    {
        revocations = new InMemoryTokenRevocationList(clock);
        changes = new IdentityChanges(revocations);
    }

    private KeyedCache<string, string> Cache(int seconds = 5, int max = 100) =>
        new(changes, new CacheOptions(TimeSpan.FromSeconds(seconds), max), clock);

    private Task<string> Load(string key) => Task.FromResult($"{key}#{++loads}");

    [Fact]
    public async Task A_value_is_read_once_within_its_lifetime_and_again_after()
    {
        var cache = Cache();
        Assert.Equal("a#1", await cache.GetAsync("a", Load));
        clock.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal("a#1", await cache.GetAsync("a", Load));
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal("a#2", await cache.GetAsync("a", Load));
    }

    [Fact]
    public async Task A_local_change_drops_every_entry_at_once()
    {
        var cache = Cache();
        await cache.GetAsync("a", Load);
        await cache.GetAsync("b", Load);
        changes.Changed();
        Assert.Equal("a#3", await cache.GetAsync("a", Load));
        Assert.Equal("b#4", await cache.GetAsync("b", Load));
    }

    [Fact]
    public async Task A_revocation_heard_from_another_instance_drops_every_entry()
    {
        var cache = Cache();
        await cache.GetAsync("a", Load);
        revocations.Add(new RevocationEvent { UserId = "u1", IssuedBefore = clock.GetUtcNow() });
        Assert.Equal("a#2", await cache.GetAsync("a", Load));
    }

    [Fact]
    public async Task A_value_loaded_while_a_change_commits_is_not_kept()
    {
        var cache = Cache();
        // The load reads the old row; the change lands before the load returns.
        Assert.Equal("old", await cache.GetAsync("a", _ => { changes.Changed(); return Task.FromResult("old"); }));
        Assert.Equal("a#1", await cache.GetAsync("a", Load));
    }

    [Fact]
    public async Task A_lifetime_of_zero_turns_the_cache_off()
    {
        var cache = Cache(seconds: 0);
        await cache.GetAsync("a", Load);
        Assert.Equal("a#2", await cache.GetAsync("a", Load));
    }

    [Fact]
    public async Task The_cache_never_holds_more_than_its_bound()
    {
        var cache = Cache(max: 2);
        await cache.GetAsync("a", Load);
        await cache.GetAsync("b", Load);
        await cache.GetAsync("c", Load); // full: starts afresh with c alone
        Assert.Equal("c#3", await cache.GetAsync("c", Load));
        Assert.Equal("a#4", await cache.GetAsync("a", Load));
    }
}
