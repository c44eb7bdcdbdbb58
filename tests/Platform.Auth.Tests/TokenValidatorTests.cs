using System.Buffers.Text;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Platform.Auth.Tests;

public sealed class TokenValidatorTests : IDisposable
{
    private readonly TestKey key = new("key-1");
    private readonly TestKey other = new("key-1");
    private readonly ManualTimeProvider time = new();
    private readonly InMemoryTokenRevocationList revocations;
    private readonly TokenValidator validator;

    public TokenValidatorTests()
    {
        revocations = new InMemoryTokenRevocationList(time);
        var keys = new StaticSigningKeyProvider(Jwks.Parse(Jwks.Serialize([(key.KeyId, key.Key)])));
        validator = new TokenValidator(keys, revocations, new AuthTokenSettings(), time);
    }

    private TokenPayload Payload() => TestKey.Payload(time.GetUtcNow());

    [Fact]
    public async Task A_good_token_round_trips_every_claim()
    {
        var payload = Payload() with { DomainId = "d-1", DomainName = "Dom", SystemScope = "all", AuditIds = ["a-1", "a-0"] };
        var outcome = await validator.ValidateAsync(key.Sign(payload));

        Assert.True(outcome.IsValid, outcome.Reason);
        var token = outcome.Token!;
        Assert.Equal("key-1", token.KeyId);
        Assert.Equal(payload, token, TokenPayloadComparer.Instance);
    }

    [Fact]
    public void Tokens_carry_the_documented_claims_and_header()
    {
        var jwt = new JsonWebToken(key.Sign(Payload() with { DomainId = null }));
        Assert.Equal("ES256", jwt.Alg);
        Assert.Equal("key-1", jwt.Kid);
        var payload = JsonNode.Parse(Base64Url.DecodeFromChars(jwt.EncodedPayload))!.AsObject();
        Assert.Equal("u-1", (string?)payload[TokenClaims.Subject]);
        Assert.Equal("p-1", (string?)payload[TokenClaims.ProjectId]);
        Assert.Equal(["member", "reader"], payload[TokenClaims.Roles]!.AsArray().Select(n => (string?)n));
        Assert.IsType<JsonArray>(payload[TokenClaims.Methods]);
        Assert.NotNull(payload[TokenClaims.IssuedAt]);
        Assert.NotNull(payload[TokenClaims.ExpiresAt]);
        Assert.Equal("http://identity.test", (string?)payload[TokenClaims.Issuer]);
        Assert.False(payload.ContainsKey(TokenClaims.DomainId));
    }

    [Fact]
    public async Task An_expired_token_is_refused()
    {
        var token = key.Sign(Payload());
        time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(1));
        var outcome = await validator.ValidateAsync(token);
        Assert.Equal(TokenFailure.Expired, outcome.Failure);
    }

    [Fact]
    public async Task Expiry_allows_a_small_clock_skew()
    {
        var token = key.Sign(Payload());
        time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(10));
        Assert.True((await validator.ValidateAsync(token)).IsValid);
    }

    [Fact]
    public async Task A_token_issued_in_the_future_is_refused()
    {
        var token = key.Sign(Payload() with { IssuedAt = time.GetUtcNow().AddMinutes(5) });
        Assert.Equal(TokenFailure.Invalid, (await validator.ValidateAsync(token)).Failure);
    }

    [Fact]
    public async Task A_token_signed_by_another_key_with_the_same_id_is_refused()
    {
        var outcome = await validator.ValidateAsync(other.Sign(Payload()));
        Assert.Equal(TokenFailure.BadSignature, outcome.Failure);
    }

    [Fact]
    public async Task A_tampered_payload_is_refused()
    {
        var parts = key.Sign(Payload()).Split('.');
        var claims = JsonNode.Parse(Base64Url.DecodeFromChars(parts[1]))!.AsObject();
        claims[TokenClaims.Roles] = new JsonArray("admin");
        parts[1] = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(claims.ToJsonString()));

        var outcome = await validator.ValidateAsync(string.Join('.', parts));
        Assert.Equal(TokenFailure.BadSignature, outcome.Failure);
    }

    [Fact]
    public async Task A_token_naming_an_unknown_key_is_refused()
    {
        using var stranger = new TestKey("key-unknown");
        Assert.Equal(TokenFailure.UnknownKey, (await validator.ValidateAsync(stranger.Sign(Payload()))).Failure);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-a-token")]
    [InlineData("a.b.c")]
    [InlineData("eyJhbGciOiJFUzI1NiJ9.e30")]
    public async Task Malformed_tokens_are_refused(string token) =>
        Assert.Equal(TokenFailure.Malformed, (await validator.ValidateAsync(token)).Failure);

    [Fact]
    public async Task Other_algorithms_are_refused()
    {
        var hmac = new SymmetricSecurityKey(new byte[32]) { KeyId = "key-1" };
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Claims = new Dictionary<string, object> { ["sub"] = "u-1" },
            SigningCredentials = new SigningCredentials(hmac, SecurityAlgorithms.HmacSha256),
        });
        Assert.Equal(TokenFailure.Malformed, (await validator.ValidateAsync(token)).Failure);

        var unsigned = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor { Claims = new Dictionary<string, object> { ["sub"] = "u-1" } });
        Assert.Equal(TokenFailure.Malformed, (await validator.ValidateAsync(unsigned)).Failure);
    }

    [Fact]
    public async Task A_token_revoked_by_audit_id_is_refused()
    {
        var payload = Payload();
        var token = key.Sign(payload);
        var sibling = key.Sign(Payload());
        revocations.RevokeAuditId(payload.AuditIds[0]);

        Assert.Equal(TokenFailure.Revoked, (await validator.ValidateAsync(token)).Failure);
        Assert.True((await validator.ValidateAsync(sibling)).IsValid);
    }

    [Fact]
    public async Task Revoking_an_audit_chain_revokes_rescoped_tokens()
    {
        var original = Payload() with { AuditIds = ["chain-1"] };
        var rescoped = Payload() with { AuditIds = ["child-1", "chain-1"] };
        revocations.RevokeAuditChain("chain-1");
        Assert.Equal(TokenFailure.Revoked, (await validator.ValidateAsync(key.Sign(original))).Failure);
        Assert.Equal(TokenFailure.Revoked, (await validator.ValidateAsync(key.Sign(rescoped))).Failure);
    }

    [Fact]
    public async Task Revoking_a_user_revokes_only_tokens_issued_before()
    {
        var before = key.Sign(Payload() with { UserId = "u-revoked" });
        var otherUser = key.Sign(Payload() with { UserId = "u-fine" });
        revocations.RevokeUser("u-revoked", time.GetUtcNow());
        time.Advance(TimeSpan.FromSeconds(2));
        var after = key.Sign(TestKey.Payload(time.GetUtcNow(), userId: "u-revoked"));

        Assert.Equal(TokenFailure.Revoked, (await validator.ValidateAsync(before)).Failure);
        Assert.True((await validator.ValidateAsync(otherUser)).IsValid);
        Assert.True((await validator.ValidateAsync(after)).IsValid);
    }

    [Fact]
    public async Task Revoking_a_project_revokes_tokens_scoped_to_it()
    {
        var scoped = key.Sign(TestKey.Payload(time.GetUtcNow(), projectId: "p-gone"));
        var elsewhere = key.Sign(TestKey.Payload(time.GetUtcNow(), projectId: "p-kept"));
        revocations.RevokeProject("p-gone", time.GetUtcNow());

        Assert.Equal(TokenFailure.Revoked, (await validator.ValidateAsync(scoped)).Failure);
        Assert.True((await validator.ValidateAsync(elsewhere)).IsValid);
    }

    [Fact]
    public void Pruning_forgets_events_older_than_the_cutoff()
    {
        revocations.RevokeUser("u-old", time.GetUtcNow().AddHours(-3));
        revocations.RevokeUser("u-new", time.GetUtcNow());
        revocations.Prune(time.GetUtcNow().AddHours(-1));
        Assert.Equal("u-new", Assert.Single(revocations.Events).UserId);
    }

    [Fact]
    public async Task The_issuer_is_checked_when_configured()
    {
        var keys = new StaticSigningKeyProvider(Jwks.Parse(Jwks.Serialize([(key.KeyId, key.Key)])));
        var strict = new TokenValidator(keys, revocations, new AuthTokenSettings { Issuer = "http://identity.test" }, time);
        Assert.True((await strict.ValidateAsync(key.Sign(Payload()))).IsValid);
        Assert.Equal(TokenFailure.Invalid, (await strict.ValidateAsync(key.Sign(Payload() with { Issuer = "http://evil" }))).Failure);
    }

    public void Dispose()
    {
        key.Dispose();
        other.Dispose();
    }

    // Records compare lists by reference; compare what the token says instead.
    private sealed class TokenPayloadComparer : IEqualityComparer<TokenPayload>
    {
        public static readonly TokenPayloadComparer Instance = new();

        public bool Equals(TokenPayload? x, TokenPayload? y) =>
            x is not null && y is not null
            && Flat(x) == Flat(y);

        public int GetHashCode(TokenPayload obj) => Flat(obj).GetHashCode(StringComparison.Ordinal);

        private static string Flat(TokenPayload p) => string.Join('|',
            p.UserId, p.UserName, p.UserDomainId, p.UserDomainName, p.ProjectId, p.ProjectName, p.ProjectDomainId,
            p.ProjectDomainName, p.DomainId, p.DomainName, p.SystemScope, string.Join(',', p.Roles), string.Join(',', p.RoleIds),
            string.Join(',', p.Methods), string.Join(',', p.AuditIds), p.IssuedAt.ToUnixTimeSeconds(), p.ExpiresAt.ToUnixTimeSeconds(), p.Issuer);
    }
}
