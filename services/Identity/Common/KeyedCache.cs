using System.Collections.Concurrent;

namespace Identity.Common;

/// <summary>
/// Rows read on every token issue (a user, a domain, a project, a user's assignments) kept for
/// <c>cache:expiration_time</c> seconds, as keystone keeps them in its cache region. An entry is
/// dropped early when <see cref="IdentityChanges"/> moves on. Bounded: past its size it starts afresh.
/// </summary>
public sealed class KeyedCache<TKey, TValue>(IdentityChanges changes, CacheOptions options, TimeProvider time) where TKey : notnull
{
    private sealed record Entry(TValue Value, long Version, DateTimeOffset ExpiresAt);

    private readonly ConcurrentDictionary<TKey, Entry> entries = new();

    public async Task<TValue> GetAsync(TKey key, Func<TKey, Task<TValue>> load)
    {
        if (options.Lifetime <= TimeSpan.Zero) return await load(key);
        var now = time.GetUtcNow();
        var version = changes.Version;
        if (entries.TryGetValue(key, out var entry) && entry.Version == version && entry.ExpiresAt > now)
            return entry.Value;
        // The version is read before loading: a change that commits meanwhile makes this entry stale at once.
        var value = await load(key);
        if (entries.Count >= options.MaxEntries) entries.Clear();
        entries[key] = new Entry(value, version, now + options.Lifetime);
        return value;
    }
}

/// <summary><c>cache:expiration_time</c> (seconds, default 5; 0 turns the caches off) and <c>cache:max_entries</c>.</summary>
public sealed record CacheOptions(TimeSpan Lifetime, int MaxEntries)
{
    public static CacheOptions FromConfiguration(IConfiguration configuration) => new(
        TimeSpan.FromSeconds(int.TryParse(configuration["cache:expiration_time"], out var s) ? Math.Max(0, s) : 5),
        int.TryParse(configuration["cache:max_entries"], out var n) && n > 0 ? n : 100_000);
}
