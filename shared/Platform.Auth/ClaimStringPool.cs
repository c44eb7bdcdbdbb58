using System.Text;
using System.Text.Json;

namespace Platform.Auth;

/// <summary>
/// One shared copy of claim values that repeat from token to token (names, ids, roles, the
/// issuer), so the validated-token cache holds fewer objects and the collector has less to move.
/// A direct-mapped table: a value whose slot holds another is read as a new string and takes the
/// slot. That keeps it bounded, lock-free and cheap; it only ever saves work, never changes a value.
/// </summary>
internal sealed class ClaimStringPool
{
    private const int Slots = 1024;

    // Longer values are rarely shared names; they are read as plain strings.
    private const int MaxPooledLength = 128;

    private readonly string?[] slots = new string?[Slots];

    public string Read(ref Utf8JsonReader reader)
    {
        // Escaped text would need unescaping to compare; ours is plain.
        if (reader.HasValueSequence || reader.ValueIsEscaped || reader.ValueSpan.Length > MaxPooledLength)
            return reader.GetString()!;
        var utf8 = reader.ValueSpan;
        var hash = new HashCode();
        hash.AddBytes(utf8);
        ref var slot = ref slots[hash.ToHashCode() & (Slots - 1)];
        // Reference reads and writes are atomic, so racing threads at worst both allocate.
        var pooled = Volatile.Read(ref slot);
        // Non-ASCII values never match here and are simply read each time.
        if (pooled is not null && Ascii.Equals(utf8, pooled)) return pooled;
        var value = reader.GetString()!;
        Volatile.Write(ref slot, value);
        return value;
    }
}
