using System.Data.Common;
using Dapper;
using Platform.Auth;
using Platform.Messaging.Outbox;

namespace Identity.Revocation;

/// <summary>
/// Records a revocation with the change that causes it: a row in revocation_events (served at
/// /v3/OS-REVOKE/events to services that start later) and a fanout through the outbox, so every
/// running service refuses the tokens as soon as the change commits. Scoped to one request.
/// </summary>
public sealed class Revoker(IOutbox outbox, InMemoryTokenRevocationList local, TimeProvider time)
{
    private readonly List<RevocationEvent> pending = [];

    public DateTimeOffset Now => time.GetUtcNow();

    public async Task RevokeAsync(DbTransaction tx, RevocationEvent revocation)
    {
        await tx.Connection!.ExecuteAsync("""
            INSERT INTO revocation_events (issued_before, revoked_at, audit_id, audit_chain_id, user_id, project_id, domain_id, role_id)
            VALUES (@IssuedBefore, UTC_TIMESTAMP(6), @AuditId, @AuditChainId, @UserId, @ProjectId, @DomainId, @RoleId)
            """,
            new { IssuedBefore = revocation.IssuedBefore.UtcDateTime, revocation.AuditId, revocation.AuditChainId, revocation.UserId, revocation.ProjectId, revocation.DomainId, revocation.RoleId },
            tx);
        await outbox.FanoutAsync(tx, revocation);
        pending.Add(revocation);
    }

    public Task RevokeAsync(DbTransaction tx, string? userId = null, string? projectId = null, string? domainId = null, string? roleId = null) =>
        RevokeAsync(tx, new RevocationEvent { IssuedBefore = Now, UserId = userId, ProjectId = projectId, DomainId = domainId, RoleId = roleId });

    /// <summary>After commit: this instance refuses the tokens at once, the others when the fanout lands.</summary>
    public void Notify()
    {
        foreach (var revocation in pending) local.Add(revocation);
        pending.Clear();
        outbox.Notify();
    }
}
