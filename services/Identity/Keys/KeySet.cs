using Platform.Auth;

namespace Identity.Keys;

/// <summary>The repository's keys at one moment. Immutable: a reload swaps in a new one.</summary>
public sealed class KeySet
{
    public static readonly KeySet Empty = new([]);

    private readonly Dictionary<string, SigningKey> byId;
    private string? jwks;

    public KeySet(IEnumerable<SigningKey> keys)
    {
        Keys = keys.OrderByDescending(k => k.Index).ToList();
        byId = Keys.ToDictionary(k => k.KeyId, StringComparer.Ordinal);
        Primary = Keys.FirstOrDefault(k => k.Role == KeyRole.Primary);
        Staged = Keys.FirstOrDefault(k => k.Role == KeyRole.Staged);
    }

    /// <summary>Every key, primary first, staged last.</summary>
    public IReadOnlyList<SigningKey> Keys { get; }

    public SigningKey? Primary { get; }
    public SigningKey? Staged { get; }
    public IEnumerable<SigningKey> Secondaries => Keys.Where(k => k.Role == KeyRole.Secondary);

    public SigningKey? Find(string keyId) => byId.GetValueOrDefault(keyId);

    /// <summary>The public halves of every key as a JSON Web Key Set, serialized once per set.</summary>
    public string Jwks => jwks ??= Platform.Auth.Jwks.Serialize(Keys.Select(k => (k.KeyId, k.PublicKey)));
}
