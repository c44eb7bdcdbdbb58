using System.Security.Cryptography;

namespace Platform.Auth.Tests;

/// <summary>Signing keys and tokens for tests.</summary>
internal sealed class TestKey(string keyId) : IDisposable
{
    public string KeyId { get; } = keyId;
    public ECDsa Key { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public TokenSigner Signer => new(Key, KeyId);

    public string Sign(TokenPayload payload) => Signer.Sign(payload);

    public static TokenPayload Payload(DateTimeOffset now, string userId = "u-1", string? projectId = "p-1") => new()
    {
        UserId = userId,
        UserName = "alice",
        UserDomainId = "default",
        UserDomainName = "Default",
        ProjectId = projectId,
        ProjectName = projectId is null ? null : "demo",
        ProjectDomainId = projectId is null ? null : "default",
        ProjectDomainName = projectId is null ? null : "Default",
        Roles = ["member", "reader"],
        RoleIds = ["r-member", "r-reader"],
        Methods = ["password"],
        AuditIds = ["audit-" + Guid.NewGuid().ToString("N")],
        IssuedAt = TruncateToSeconds(now),
        ExpiresAt = TruncateToSeconds(now.AddHours(1)),
        Issuer = "http://identity.test",
    };

    // JWT times are whole seconds; payloads built here compare equal after a round trip.
    public static DateTimeOffset TruncateToSeconds(DateTimeOffset t) => DateTimeOffset.FromUnixTimeSeconds(t.ToUnixTimeSeconds());

    public void Dispose() => Key.Dispose();
}
