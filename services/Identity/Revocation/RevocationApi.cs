using Dapper;
using Identity.Auth;
using Identity.Common;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Platform.Data;

namespace Identity.Revocation;

/// <summary><c>GET /v3/OS-REVOKE/events</c>: what a starting service loads before it trusts tokens.</summary>
public static class RevocationApi
{
    private sealed record Row(DateTime IssuedBefore, DateTime RevokedAt, string? AuditId, string? AuditChainId, string? UserId, string? ProjectId, string? DomainId, string? RoleId);

    public static void MapRevocationEvents(this IEndpointRouteBuilder v3) => v3.MapGet("/OS-REVOKE/events", async (IDbConnectionFactory db, Authz authz, string? since) =>
    {
        authz.Enforce("identity:list_revoke_events");
        DateTime? after = since is null ? null : DateTime.TryParse(since, null, System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal, out var t)
            ? t : throw KeystoneErrors.Validation("Invalid input for field 'since': not a time.");
        await using var c = await db.OpenAsync();
        var rows = await c.QueryAsync<Row>(
            "SELECT issued_before, revoked_at, audit_id, audit_chain_id, user_id, project_id, domain_id, role_id FROM revocation_events WHERE @after IS NULL OR revoked_at > @after ORDER BY id",
            new { after });
        return Results.Ok(new
        {
            events = rows.Select(r =>
            {
                var e = new Dictionary<string, object?>
                {
                    ["issued_before"] = TokenView.Time(new DateTimeOffset(r.IssuedBefore, TimeSpan.Zero)),
                    ["revoked_at"] = TokenView.Time(new DateTimeOffset(r.RevokedAt, TimeSpan.Zero)),
                };
                if (r.AuditId is not null) e["audit_id"] = r.AuditId;
                if (r.AuditChainId is not null) e["audit_chain_id"] = r.AuditChainId;
                if (r.UserId is not null) e["user_id"] = r.UserId;
                if (r.ProjectId is not null) e["project_id"] = r.ProjectId;
                if (r.DomainId is not null) e["domain_id"] = r.DomainId;
                if (r.RoleId is not null) e["role_id"] = r.RoleId;
                return e;
            }),
        });
    });
}
