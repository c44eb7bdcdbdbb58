using Dapper;
using Platform.Auth;
using Platform.Data;

namespace Identity.Revocation;

/// <summary>At start, identity reads its own revocation events: no token revoked before a restart is accepted after it.</summary>
public sealed class RevocationLoader(IDbConnectionFactory db, InMemoryTokenRevocationList revocations, ILogger<RevocationLoader> logger) : BackgroundService
{
    private sealed record Row(DateTime IssuedBefore, string? AuditId, string? AuditChainId, string? UserId, string? ProjectId, string? DomainId, string? RoleId);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var c = await db.OpenAsync(stoppingToken);
                var rows = (await c.QueryAsync<Row>(
                    "SELECT issued_before, audit_id, audit_chain_id, user_id, project_id, domain_id, role_id FROM revocation_events")).ToList();
                foreach (var r in rows)
                    revocations.Add(new RevocationEvent
                    {
                        IssuedBefore = new DateTimeOffset(r.IssuedBefore, TimeSpan.Zero), AuditId = r.AuditId, AuditChainId = r.AuditChainId,
                        UserId = r.UserId, ProjectId = r.ProjectId, DomainId = r.DomainId, RoleId = r.RoleId,
                    });
                logger.LogInformation("loaded {Count} token revocation events", rows.Count);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("revocation events not loaded yet ({Error}); retrying", e.Message);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromSeconds(Math.Min(30, delay.TotalSeconds * 2));
            }
        }
    }
}
