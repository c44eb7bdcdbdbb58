using System.Collections.Concurrent;

namespace Platform.Auth;

/// <summary>A token whose signature was verified, and the answer to give while it stays cached.</summary>
internal sealed record CachedToken(ValidatedToken Token, Task<TokenValidationOutcome> Outcome, DateTimeOffset VerifyAgainAt);

/// <summary>
/// Verified tokens by their text, so a repeat costs a lookup instead of an ECDSA check. Bounded:
/// when full, stale entries go first, then arbitrary ones, down to three quarters of the cap, so
/// the sweep's cost is spread over many inserts.
/// </summary>
internal sealed class ValidatedTokenCache(int capacity)
{
    private readonly ConcurrentDictionary<string, CachedToken> entries = new(StringComparer.Ordinal);

    // ConcurrentDictionary.Count takes every lock; this counter keeps the cap check cheap.
    private int count;
    private int sweeping;

    public int Count => Volatile.Read(ref count);

    public int Capacity => capacity;

    // A null token (despite the annotations) is a miss, so the full check can refuse it as before.
    public bool TryGet(string? token, out CachedToken entry)
    {
        entry = null!;
        return token is not null && entries.TryGetValue(token, out entry!);
    }

    public void Remove(string token)
    {
        if (entries.TryRemove(token, out _)) Interlocked.Decrement(ref count);
    }

    public void Add(string token, CachedToken entry, DateTimeOffset now)
    {
        if (capacity <= 0) return;
        if (!TryReserve())
        {
            Sweep(now);
            // Another thread may be sweeping, or filled the room again: then skip caching this once.
            if (!TryReserve()) return;
        }
        if (!entries.TryAdd(token, entry)) Interlocked.Decrement(ref count);
    }

    // Reserving before adding keeps racing inserts from overshooting the cap.
    // Compare-and-set, so the count never reads above the cap, not even for an instant.
    private bool TryReserve()
    {
        while (true)
        {
            var seen = Volatile.Read(ref count);
            if (seen >= capacity) return false;
            if (Interlocked.CompareExchange(ref count, seen + 1, seen) == seen) return true;
        }
    }

    private void Sweep(DateTimeOffset now)
    {
        if (Interlocked.CompareExchange(ref sweeping, 1, 0) != 0) return;
        try
        {
            foreach (var (token, entry) in entries)
                if (entry.VerifyAgainAt <= now || entry.Token.ExpiresAt <= now) Remove(token);
            var target = capacity - Math.Max(1, capacity / 4);
            foreach (var (token, _) in entries)
            {
                if (Count <= target) break;
                Remove(token);
            }
        }
        finally
        {
            Volatile.Write(ref sweeping, 0);
        }
    }
}
