namespace Platform.Auth;

/// <summary>
/// Revocation events held in memory. Revokes nothing until events are added; the identity
/// service's revocation fanout feeds it.
/// </summary>
public sealed class InMemoryTokenRevocationList(TimeProvider time) : ITokenRevocationList
{
    private readonly Lock writeLock = new();

    // Copy-on-write: every request reads it, only revocations write it.
    private RevocationEvent[] events = [];

    public IReadOnlyList<RevocationEvent> Events => Volatile.Read(ref events);

    public bool IsRevoked(ValidatedToken token)
    {
        foreach (var e in Volatile.Read(ref events))
            if (e.Matches(token)) return true;
        return false;
    }

    /// <summary>Raised after each event is added, for caches that must forget what it revokes.</summary>
    public event Action<RevocationEvent>? Added;

    public void Add(RevocationEvent revocation)
    {
        lock (writeLock)
            Volatile.Write(ref events, [.. events, revocation]);
        Added?.Invoke(revocation);
    }

    /// <summary>Revokes the one token with this audit id (keystone's DELETE /v3/auth/tokens).</summary>
    public void RevokeAuditId(string auditId) =>
        Add(new RevocationEvent { AuditId = auditId, IssuedBefore = time.GetUtcNow() });

    /// <summary>Revokes a token and every token rescoped from it, by the chain's first audit id.</summary>
    public void RevokeAuditChain(string auditChainId) =>
        Add(new RevocationEvent { AuditChainId = auditChainId, IssuedBefore = time.GetUtcNow() });

    /// <summary>Revokes the user's tokens issued at or before <paramref name="issuedBefore"/>.</summary>
    public void RevokeUser(string userId, DateTimeOffset issuedBefore) =>
        Add(new RevocationEvent { UserId = userId, IssuedBefore = issuedBefore });

    /// <summary>Revokes tokens scoped to the project issued at or before <paramref name="issuedBefore"/>.</summary>
    public void RevokeProject(string projectId, DateTimeOffset issuedBefore) =>
        Add(new RevocationEvent { ProjectId = projectId, IssuedBefore = issuedBefore });

    /// <summary>
    /// Forgets events older than <paramref name="cutoff"/>: once it is further back than the
    /// longest token lifetime, every token they could match has expired anyway.
    /// </summary>
    public void Prune(DateTimeOffset cutoff)
    {
        lock (writeLock)
            Volatile.Write(ref events, events.Where(e => e.IssuedBefore >= cutoff).ToArray());
    }
}
