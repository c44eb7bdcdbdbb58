using System.Security.Cryptography;
using Microsoft.AspNetCore.TestHost;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;
using Platform.Auth;

namespace Platform.TestSupport;

/// <summary>
/// Tokens for a single-service test, where no identity runs: a key of its own that the service
/// under test is made to trust, and tokens for any user, project and roles.
/// </summary>
public sealed class TestTokens : IDisposable
{
    private readonly ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly TokenSigner signer;

    public TestTokens()
    {
        signer = new TokenSigner(key, KeyId);
        var publicKey = new ECDsaSecurityKey(ECDsa.Create(key.ExportParameters(includePrivateParameters: false))) { KeyId = KeyId };
        Keys = new StaticSigningKeyProvider(new Dictionary<string, SecurityKey> { [KeyId] = publicKey });
    }

    public string KeyId { get; } = "test-" + Guid.NewGuid().ToString("N")[..8];

    public ISigningKeyProvider Keys { get; }

    /// <summary>Makes the service trust this key instead of fetching identity's.</summary>
    public void Trust(IWebHostBuilder builder) =>
        builder.ConfigureTestServices(services => services.AddSingleton(Keys));

    /// <summary>A project-scoped token; <paramref name="roles"/> as identity would expand them (admin implies member implies reader).</summary>
    public string Issue(string projectId, params string[] roles) => Issue(projectId, DateTimeOffset.UtcNow.AddHours(1), roles);

    public string Issue(string projectId, DateTimeOffset expiresAt, params string[] roles)
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        return signer.Sign(new TokenPayload
        {
            UserId = "user-of-" + projectId,
            UserName = "user-of-" + projectId,
            UserDomainId = "default",
            UserDomainName = "Default",
            ProjectId = projectId,
            ProjectName = projectId,
            ProjectDomainId = "default",
            ProjectDomainName = "Default",
            Roles = roles,
            Methods = ["password"],
            AuditIds = [Guid.NewGuid().ToString("N")[..22]],
            IssuedAt = now,
            ExpiresAt = DateTimeOffset.FromUnixTimeSeconds(expiresAt.ToUnixTimeSeconds()),
        });
    }

    public void Dispose() => key.Dispose();
}
