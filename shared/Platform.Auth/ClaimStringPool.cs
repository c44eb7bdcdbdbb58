using System.Text;
using System.Text.Json;

namespace Platform.Auth;

/// <summary>
/// One shared copy of claim values that repeat from token to token (key ids, names, ids, role
/// lists, the issuer), so each validated token, which the cache keeps for minutes, holds fewer
/// objects of its own and the collector has less to copy and mark. Direct-mapped tables: a value
/// whose slot holds another is read afresh and takes the slot, which keeps the pool bounded,
/// lock-free and cheap. It only ever saves allocations; it never changes what a claim reads as.
/// </summary>
internal sealed class ClaimStringPool
{
    private const int StringSlots = 1024;
    private const int ListSlots = 256;

    // Longer values are rarely shared; they are read as plain strings and arrays.
    private const int MaxPooledLength = 128;
    private const int MaxPooledListLength = 256;

    private readonly string?[] strings = new string?[StringSlots];
    private readonly ListEntry?[] lists = new ListEntry?[ListSlots];

    // Immutable, so a slot is swapped whole and readers never see half an entry.
    private sealed class ListEntry(byte[] json, string[] items)
    {
        public byte[] Json { get; } = json;
        public string[] Items { get; } = items;
    }

    /// <summary>The string the reader is on (a JSON string token).</summary>
    public string Read(ref Utf8JsonReader reader)
    {
        // Escaped text would need unescaping to compare; what identity issues has none.
        if (reader.HasValueSequence || reader.ValueIsEscaped || reader.ValueSpan.Length > MaxPooledLength)
            return reader.GetString()!;
        var utf8 = reader.ValueSpan;
        ref var slot = ref strings[Slot(utf8, StringSlots)];
        // Reference reads and writes are atomic, so racing threads at worst both allocate.
        var pooled = Volatile.Read(ref slot);
        // Non-ASCII values never match here and are simply read each time.
        if (pooled is not null && Ascii.Equals(utf8, pooled)) return pooled;
        var value = reader.GetString()!;
        Volatile.Write(ref slot, value);
        return value;
    }

    /// <summary>The array read before from exactly this JSON text, if it is still pooled.</summary>
    public bool TryGetList(ReadOnlySpan<byte> json, out string[] items)
    {
        items = [];
        if (json.Length > MaxPooledListLength) return false;
        var entry = Volatile.Read(ref lists[Slot(json, ListSlots)]);
        if (entry is null || !json.SequenceEqual(entry.Json)) return false;
        items = entry.Items;
        return true;
    }

    /// <summary>Pools the array read from <paramref name="json"/>; callers must never change it.</summary>
    public void AddList(ReadOnlySpan<byte> json, string[] items)
    {
        if (json.Length > MaxPooledListLength) return;
        Volatile.Write(ref lists[Slot(json, ListSlots)], new ListEntry(json.ToArray(), items));
    }

    // HashCode is seeded per process, so which values share a slot cannot be chosen from outside.
    private static int Slot(ReadOnlySpan<byte> bytes, int slots)
    {
        var hash = new HashCode();
        hash.AddBytes(bytes);
        return hash.ToHashCode() & (slots - 1);
    }
}
