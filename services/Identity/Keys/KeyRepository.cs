using Microsoft.Extensions.Logging;

namespace Identity.Keys;

/// <summary>
/// The ES256 signing keys on disk, rotated as keystone rotates fernet keys: <c>0.pem</c> is
/// staged, the highest index is primary, the rest are secondaries kept until every token they
/// signed has expired. Several instances may share the directory, so it is looked at again at
/// most once per <see cref="KeyRepositoryOptions.ReloadInterval"/> and reloaded when it changed.
/// </summary>
public sealed class KeyRepository(KeyRepositoryOptions options, TimeProvider time, ILogger<KeyRepository> logger)
{
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(30);

    private readonly Lock reloadLock = new();
    private KeySet current = KeySet.Empty;
    private string? fingerprint;
    private long nextCheckTicks = long.MinValue;

    public string Directory => options.Directory;

    /// <summary>The keys as last loaded; reloaded first when the check interval has passed and the files changed.</summary>
    public KeySet Current
    {
        get
        {
            if (time.GetUtcNow().UtcTicks >= Volatile.Read(ref nextCheckTicks)) CheckForChanges();
            return Volatile.Read(ref current);
        }
    }

    /// <summary>Creates the repository with a primary and a staged key when it has no keys; otherwise changes nothing.</summary>
    /// <returns>True when keys were created.</returns>
    public bool Setup()
    {
        // A repository with keys is left alone, so setup also succeeds on a read-only mount.
        if (KeyFiles.Indexes(Directory).Count > 0)
        {
            Reload();
            return false;
        }
        KeyFiles.CreateDirectory(Directory);
        bool created;
        using (KeyFiles.Lock(Directory, LockTimeout))
        {
            created = KeyFiles.Indexes(Directory).Count == 0;
            if (created)
            {
                KeyFiles.WriteNewKey(Directory, 1);
                KeyFiles.WriteNewKey(Directory, 0);
                logger.LogInformation("created key repository {Directory} with a primary and a staged key", Directory);
            }
        }
        Reload();
        return created;
    }

    /// <summary>
    /// Promotes the staged key to primary, stages a new key, retires the old primary and removes
    /// the secondaries whose tokens have all expired.
    /// </summary>
    public RotationResult Rotate()
    {
        if (!System.IO.Directory.Exists(Directory))
            throw new InvalidOperationException($"key repository {Directory} does not exist; run `keys setup` first");
        var pruned = new List<int>();
        int promoted;
        using (KeyFiles.Lock(Directory, LockTimeout))
        {
            var indexes = KeyFiles.Indexes(Directory);
            if (indexes.Count == 0)
                throw new InvalidOperationException($"key repository {Directory} has no keys; run `keys setup` first");
            var now = time.GetUtcNow();
            var oldPrimary = indexes[^1];
            if (!indexes.Contains(0))
            {
                // Promoted without having been published first: other instances learn it on their next reload.
                logger.LogWarning("key repository {Directory} had no staged key; promoting a fresh one", Directory);
                KeyFiles.WriteNewKey(Directory, 0);
            }
            promoted = oldPrimary + 1;
            // Retired before the rename, so the old primary is never a secondary without a date.
            if (oldPrimary > 0) KeyFiles.WriteRetired(Directory, oldPrimary, now);
            File.Move(KeyFiles.KeyPath(Directory, 0), KeyFiles.KeyPath(Directory, promoted));
            KeyFiles.WriteNewKey(Directory, 0);
            foreach (var index in indexes.Where(i => i != 0 && i != oldPrimary))
                if (Prune(index, now)) pruned.Add(index);
        }
        var keys = Reload();
        logger.LogInformation("rotated key repository {Directory}: key {Index} ({KeyId}) is primary; pruned {Pruned}",
            Directory, promoted, keys.Primary?.KeyId, pruned.Count == 0 ? "none" : string.Join(", ", pruned));
        return new RotationResult(keys, pruned);
    }

    /// <summary>Loads the directory now, whatever the check interval says.</summary>
    public KeySet Reload()
    {
        lock (reloadLock)
        {
            Volatile.Write(ref nextCheckTicks, (time.GetUtcNow() + options.ReloadInterval).UtcTicks);
            return Load();
        }
    }

    private bool Prune(int index, DateTimeOffset now)
    {
        var retiredAt = KeyFiles.ReadRetired(Directory, index);
        if (retiredAt is null)
        {
            // A secondary without a date (written by hand, or its file lost): start its clock now.
            KeyFiles.WriteRetired(Directory, index, now);
            return false;
        }
        if (retiredAt.Value + options.TokenExpiration + options.RetirementMargin > now) return false;
        File.Delete(KeyFiles.KeyPath(Directory, index));
        File.Delete(KeyFiles.RetiredPath(Directory, index));
        return true;
    }

    private void CheckForChanges()
    {
        var first = Volatile.Read(ref fingerprint) is null;
        // Requests do not queue behind a check: they use the keys they have, unless there are none yet.
        if (first) reloadLock.Enter();
        else if (!reloadLock.TryEnter()) return;
        try
        {
            if (time.GetUtcNow().UtcTicks < Volatile.Read(ref nextCheckTicks)) return;
            Volatile.Write(ref nextCheckTicks, (time.GetUtcNow() + options.ReloadInterval).UtcTicks);
            if (KeyFiles.Fingerprint(Directory) != fingerprint) Load();
        }
        finally
        {
            reloadLock.Exit();
        }
    }

    // Called under reloadLock.
    private KeySet Load()
    {
        var seen = KeyFiles.Fingerprint(Directory);
        try
        {
            var indexes = KeyFiles.Indexes(Directory);
            var primary = indexes.Count == 0 ? -1 : indexes[^1];
            var keys = new List<SigningKey>();
            foreach (var index in indexes)
            {
                var role = index == primary ? KeyRole.Primary : index == 0 ? KeyRole.Staged : KeyRole.Secondary;
                var retired = role == KeyRole.Secondary ? KeyFiles.ReadRetired(Directory, index) : null;
                keys.Add(new SigningKey(index, role, KeyFiles.ReadKey(Directory, index), retired));
            }
            var set = new KeySet(keys);
            Volatile.Write(ref current, set);
            Volatile.Write(ref fingerprint, seen);
            if (keys.Count == 0) logger.LogWarning("key repository {Directory} has no keys; run `keys setup`", Directory);
            else logger.LogDebug("loaded {Count} keys from {Directory}", keys.Count, Directory);
            return set;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            // Most likely a rotation by another instance under way: keep the keys we have, look again next time.
            logger.LogWarning("could not load key repository {Directory}: {Error}", Directory, e.Message);
            Volatile.Write(ref fingerprint, "");
            return Volatile.Read(ref current);
        }
    }
}

/// <summary>The keys after a rotation, and the indexes of the secondaries it removed.</summary>
public sealed record RotationResult(KeySet Keys, IReadOnlyList<int> Pruned);
