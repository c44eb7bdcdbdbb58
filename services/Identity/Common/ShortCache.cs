namespace Identity.Common;

/// <summary>
/// A value read often and changed rarely (the role list, the implied-role rules, the catalog),
/// kept for a few seconds as keystone keeps them in its cache. This instance drops it at once
/// when it changes the data; other instances see the change when their copy expires.
/// </summary>
public sealed class ShortCache<T>(TimeSpan lifetime, TimeProvider time) where T : class
{
    private sealed record Entry(T Value, DateTimeOffset Expires);

    private Entry? entry;

    public async Task<T> GetAsync(Func<Task<T>> load)
    {
        var current = Volatile.Read(ref entry);
        var now = time.GetUtcNow();
        if (current is not null && current.Expires > now) return current.Value;
        var value = await load();
        Volatile.Write(ref entry, new Entry(value, now + lifetime));
        return value;
    }

    public void Invalidate() => Volatile.Write(ref entry, null);
}
