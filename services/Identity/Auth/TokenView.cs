using Platform.Auth;

namespace Identity.Auth;

/// <summary>The token body keystone answers on issue and validation.</summary>
public static class TokenView
{
    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    public static Dictionary<string, object?> Build(TokenPayload t, IReadOnlyList<object>? catalog)
    {
        var body = new Dictionary<string, object?>
        {
            ["methods"] = t.Methods,
            ["user"] = new Dictionary<string, object?>
            {
                ["id"] = t.UserId,
                ["name"] = t.UserName,
                ["domain"] = new { id = t.UserDomainId, name = t.UserDomainName },
                ["password_expires_at"] = null,
            },
            ["audit_ids"] = t.AuditIds,
            ["expires_at"] = Time(t.ExpiresAt),
            ["issued_at"] = Time(t.IssuedAt),
        };
        if (t.ProjectId is not null)
        {
            body["project"] = new { id = t.ProjectId, name = t.ProjectName, domain = new { id = t.ProjectDomainId, name = t.ProjectDomainName } };
            body["is_domain"] = false;
        }
        else if (t.DomainId is not null)
        {
            body["domain"] = new { id = t.DomainId, name = t.DomainName };
        }
        else if (t.SystemScope is not null)
        {
            body["system"] = new { all = true };
        }
        if (t.ProjectId is not null || t.DomainId is not null || t.SystemScope is not null)
            body["roles"] = t.RoleIds.Zip(t.Roles, (id, name) => new { id, name }).ToList();
        if (catalog is not null) body["catalog"] = catalog;
        return body;
    }
}
