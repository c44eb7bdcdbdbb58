using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Platform.Auth.Tests;

/// <summary>
/// The validator's own ES256 check and payload reading: tokens built byte by byte here, so each
/// test controls exactly what is signed and what is sent.
/// </summary>
public sealed class TokenSignatureTests : IDisposable
{
    private readonly TestKey key = new("key-1");
    private readonly ManualTimeProvider time = new();
    private readonly InMemoryTokenRevocationList revocations;
    private readonly CountingKeys keys;
    private readonly TokenValidator validator;

    public TokenSignatureTests()
    {
        revocations = new InMemoryTokenRevocationList(time);
        keys = new CountingKeys(Jwks.Parse(Jwks.Serialize([(key.KeyId, key.Key)])));
        validator = new TokenValidator(keys, revocations, new AuthTokenSettings(), time);
    }

    private long Now => time.GetUtcNow().ToUnixTimeSeconds();

    private JsonObject Claims() => new()
    {
        ["sub"] = "u-1",
        ["roles"] = new JsonArray("member"),
        ["audit_ids"] = new JsonArray("a-1"),
        ["iat"] = Now,
        ["exp"] = Now + 3600,
    };

    private static string Header(string alg = "ES256", string? kid = "key-1") =>
        new JsonObject { ["alg"] = alg, ["kid"] = kid, ["typ"] = "JWT" }.ToJsonString();

    // header.payload signed with ES256 as JWS does it: P1363 r||s over the ASCII signing input.
    private static string Sign(ECDsa signer, string header, string payload)
    {
        var input = B64(header) + "." + B64(payload);
        var signature = signer.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256);
        return input + "." + Base64Url.EncodeToString(signature);
    }

    private string Sign(JsonObject claims) => Sign(key.Key, Header(), claims.ToJsonString());

    private static string B64(string json) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));

    private static string WithSignature(string token, Func<byte[], byte[]> change)
    {
        var dot = token.LastIndexOf('.');
        return token[..(dot + 1)] + Base64Url.EncodeToString(change(Base64Url.DecodeFromChars(token.AsSpan(dot + 1))));
    }

    [Fact]
    public async Task A_token_built_by_hand_validates()
    {
        var outcome = await validator.ValidateAsync(Sign(Claims()));
        Assert.True(outcome.IsValid, outcome.Reason);
        Assert.Equal("u-1", outcome.Token!.UserId);
        Assert.Equal(["member"], outcome.Token.Roles);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(63)]
    public async Task A_signature_with_an_altered_byte_is_refused(int index)
    {
        var token = WithSignature(Sign(Claims()), s =>
        {
            s[index] ^= 0x01;
            return s;
        });
        Assert.Equal(TokenFailure.BadSignature, (await validator.ValidateAsync(token)).Failure);
    }

    [Fact]
    public async Task Signatures_of_the_wrong_length_or_encoding_are_refused()
    {
        var good = Sign(Claims());
        var payloadEnd = good.LastIndexOf('.');
        Assert.Equal(TokenFailure.BadSignature, (await validator.ValidateAsync(WithSignature(good, s => s[..63]))).Failure);
        Assert.Equal(TokenFailure.BadSignature, (await validator.ValidateAsync(WithSignature(good, s => [.. s, 0]))).Failure);
        Assert.Equal(TokenFailure.BadSignature, (await validator.ValidateAsync(good[..(payloadEnd + 1)])).Failure);
        Assert.Equal(TokenFailure.BadSignature, (await validator.ValidateAsync(good[..(payloadEnd + 1)] + "*not*base64*")).Failure);
        // The same r and s in DER, as ECDsa gives them by default on some platforms: JWS wants P1363.
        var der = WithSignature(good, s => key.Key.SignData(Encoding.ASCII.GetBytes(good[..payloadEnd]), HashAlgorithmName.SHA256,
            DSASignatureFormat.Rfc3279DerSequence));
        Assert.Equal(TokenFailure.BadSignature, (await validator.ValidateAsync(der)).Failure);
    }

    [Fact]
    public async Task A_signature_moved_onto_another_payload_is_refused()
    {
        var first = Sign(Claims());
        var other = Claims();
        other["sub"] = "u-admin";
        var second = Sign(other);
        var spliced = second[..second.LastIndexOf('.')] + first[first.LastIndexOf('.')..];
        Assert.Equal(TokenFailure.BadSignature, (await validator.ValidateAsync(spliced)).Failure);
    }

    [Fact]
    public async Task Alg_none_is_refused_without_looking_for_a_key()
    {
        var unsigned = B64(Header(alg: "none")) + "." + B64(Claims().ToJsonString()) + ".";
        var outcome = await validator.ValidateAsync(unsigned);
        Assert.Equal(TokenFailure.Malformed, outcome.Failure);
        Assert.Contains("'none'", outcome.Reason, StringComparison.Ordinal);

        // Even with a valid ES256 signature attached, the header decides.
        var resigned = Sign(key.Key, Header(alg: "none"), Claims().ToJsonString());
        Assert.Equal(TokenFailure.Malformed, (await validator.ValidateAsync(resigned)).Failure);
        Assert.Equal(0, keys.Lookups);
    }

    [Fact]
    public async Task Alg_hs256_is_refused_even_when_keyed_with_the_public_key()
    {
        // The classic confusion attack: an HMAC keyed with the published key's bytes.
        var input = B64(Header(alg: "HS256")) + "." + B64(Claims().ToJsonString());
        var secret = Encoding.ASCII.GetBytes(Jwks.Serialize([(key.KeyId, key.Key)]));
        var mac = HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(input));
        var outcome = await validator.ValidateAsync(input + "." + Base64Url.EncodeToString(mac));
        Assert.Equal(TokenFailure.Malformed, outcome.Failure);
        Assert.Contains("'HS256'", outcome.Reason, StringComparison.Ordinal);
        Assert.Equal(0, keys.Lookups);
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("[\"sub\",\"u-1\"]")]
    [InlineData("\"u-1\"")]
    [InlineData("{\"sub\":\"u-1\",")]
    [InlineData("{\"sub\":\"u-1\"} trailing")]
    public async Task A_signed_payload_that_is_not_a_json_object_is_refused(string payload)
    {
        var outcome = await validator.ValidateAsync(Sign(key.Key, Header(), payload));
        Assert.Equal(TokenFailure.Malformed, outcome.Failure);
    }

    [Fact]
    public async Task A_payload_that_is_not_base64url_is_refused()
    {
        var input = B64(Header()) + ".{\"sub\":\"u-1\"}";
        var signature = key.Key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256);
        Assert.Equal(TokenFailure.Malformed, (await validator.ValidateAsync(input + "." + Base64Url.EncodeToString(signature))).Failure);
    }

    [Theory]
    [InlineData("exp")]
    [InlineData("iat")]
    [InlineData("sub")]
    public async Task A_token_missing_a_required_claim_is_refused(string claim)
    {
        var claims = Claims();
        claims.Remove(claim);
        var outcome = await validator.ValidateAsync(Sign(claims));
        Assert.Equal(TokenFailure.Malformed, outcome.Failure);
        Assert.Equal(0, validator.CachedTokenCount);
    }

    [Theory]
    [InlineData("\"tomorrow\"")]
    [InlineData("1.5e9")]
    [InlineData("null")]
    [InlineData("99999999999999999")]
    public async Task An_expiry_that_is_not_whole_seconds_in_range_is_refused(string exp)
    {
        var json = Claims().ToJsonString().Replace($"\"exp\":{Now + 3600}", $"\"exp\":{exp}", StringComparison.Ordinal);
        Assert.Equal(TokenFailure.Malformed, (await validator.ValidateAsync(Sign(key.Key, Header(), json))).Failure);
    }

    [Fact]
    public async Task A_token_not_valid_before_a_later_time_is_refused_until_then()
    {
        var claims = Claims();
        claims["nbf"] = Now + 300;
        var token = Sign(claims);
        Assert.Equal(TokenFailure.Invalid, (await validator.ValidateAsync(token)).Failure);
        time.Advance(TimeSpan.FromSeconds(280));
        Assert.True((await validator.ValidateAsync(token)).IsValid);
    }

    [Fact]
    public async Task A_header_without_kid_or_with_crit_is_refused()
    {
        Assert.Equal(TokenFailure.Malformed, (await validator.ValidateAsync(Sign(key.Key, Header(kid: null), Claims().ToJsonString()))).Failure);
        var crit = new JsonObject { ["alg"] = "ES256", ["kid"] = "key-1", ["crit"] = new JsonArray("exp"), ["exp"] = 1 }.ToJsonString();
        Assert.Equal(TokenFailure.Malformed, (await validator.ValidateAsync(Sign(key.Key, crit, Claims().ToJsonString()))).Failure);
        var twoAlgs = "{\"alg\":\"ES256\",\"kid\":\"key-1\",\"alg\":\"none\"}";
        Assert.Equal(TokenFailure.Malformed, (await validator.ValidateAsync(Sign(key.Key, twoAlgs, Claims().ToJsonString()))).Failure);
    }

    [Fact]
    public async Task Tokens_of_more_or_fewer_than_three_parts_are_refused()
    {
        var good = Sign(Claims());
        Assert.Equal(TokenFailure.Malformed, (await validator.ValidateAsync(good + ".x.y")).Failure);
        Assert.Equal(TokenFailure.Malformed, (await validator.ValidateAsync("." + good)).Failure);
        Assert.Equal(TokenFailure.Malformed, (await validator.ValidateAsync(good.Replace(".", "..", StringComparison.Ordinal))).Failure);
    }

    [Fact]
    public async Task Escaped_and_odd_claims_read_as_the_old_reader_read_them()
    {
        var json = $"{{\"sub\":\"u\\u002d1\",\"user_name\":\"\\u00e9lise\",\"project_id\":42,\"roles\":\"admin\"," +
                   $"\"role_ids\":[\"r-1\",7,{{\"x\":[1]}},\"r-2\"],\"methods\":{{}},\"audit_ids\":[],\"iat\":{Now},\"exp\":{Now + 60},\"extra\":[[{{}}]]}}";
        var outcome = await validator.ValidateAsync(Sign(key.Key, Header(), json));
        Assert.True(outcome.IsValid, outcome.Reason);
        var t = outcome.Token!;
        Assert.Equal("u-1", t.UserId);
        Assert.Equal("élise", t.UserName);
        Assert.Null(t.ProjectId);
        Assert.Equal(["admin"], t.Roles);
        Assert.Equal(["r-1", "r-2"], t.RoleIds);
        Assert.Empty(t.Methods);
        Assert.Empty(t.AuditIds);
    }

    [Fact]
    public async Task Claims_shared_between_tokens_never_leak_from_one_to_another()
    {
        // Values are pooled between tokens; each must still read exactly what it carries.
        for (var i = 0; i < 300; i++)
        {
            var claims = Claims();
            claims["sub"] = "u-" + (i % 7);
            claims["roles"] = new JsonArray("r-" + (i % 5), "reader");
            claims["project_id"] = "p-" + (i % 3);
            var outcome = await validator.ValidateAsync(Sign(claims));
            Assert.True(outcome.IsValid, outcome.Reason);
            Assert.Equal("u-" + (i % 7), outcome.Token!.UserId);
            Assert.Equal(["r-" + (i % 5), "reader"], outcome.Token.Roles);
            Assert.Equal("p-" + (i % 3), outcome.Token.ProjectId);
        }
    }

    [Fact]
    public async Task A_key_given_as_a_json_web_key_is_used_directly()
    {
        var p = key.Key.ExportParameters(false);
        var jwk = new JsonWebKey
        {
            Kty = "EC", Crv = "P-256", Kid = key.KeyId, Use = "sig",
            X = Base64Url.EncodeToString(p.Q.X), Y = Base64Url.EncodeToString(p.Q.Y),
        };
        var v = new TokenValidator(new StaticSigningKeyProvider(new Dictionary<string, SecurityKey> { [key.KeyId] = jwk }),
            revocations, new AuthTokenSettings(), time);
        Assert.True((await v.ValidateAsync(Sign(Claims()))).IsValid);
        using var other = new TestKey(key.KeyId);
        Assert.Equal(TokenFailure.BadSignature, (await v.ValidateAsync(other.Sign(TestKey.Payload(time.GetUtcNow())))).Failure);
    }

    [Fact]
    public async Task A_key_that_is_not_ec_goes_through_the_library_and_is_refused_for_es256()
    {
        using var rsa = RSA.Create(2048);
        var v = new TokenValidator(new StaticSigningKeyProvider(new Dictionary<string, SecurityKey> { [key.KeyId] = new RsaSecurityKey(rsa) { KeyId = key.KeyId } }),
            revocations, new AuthTokenSettings(), time);
        var outcome = await v.ValidateAsync(Sign(Claims()));
        Assert.False(outcome.IsValid);
        Assert.NotEqual(TokenFailure.Malformed, outcome.Failure);
    }

    [Fact]
    public async Task A_key_lookup_that_completes_later_still_validates()
    {
        var v = new TokenValidator(new SlowKeys(keys), revocations, new AuthTokenSettings(), time);
        Assert.True((await v.ValidateAsync(Sign(Claims()))).IsValid);
        Assert.Equal(TokenFailure.BadSignature, (await v.ValidateAsync(WithSignature(Sign(Claims()), s => [.. s.Reverse()]))).Failure);
    }

    [Fact]
    public async Task Keys_unavailable_is_reported_whether_thrown_at_once_or_later()
    {
        var now = new TokenValidator(new FailingKeys(later: false), revocations, new AuthTokenSettings(), time);
        var later = new TokenValidator(new FailingKeys(later: true), revocations, new AuthTokenSettings(), time);
        Assert.Equal(TokenFailure.KeysUnavailable, (await now.ValidateAsync(Sign(Claims()))).Failure);
        Assert.Equal(TokenFailure.KeysUnavailable, (await later.ValidateAsync(Sign(Claims()))).Failure);
    }

    [Fact]
    public void The_library_reads_a_hand_built_token_the_same_way()
    {
        // Guards the helpers above: what they build is a standard compact JWS.
        var jwt = new JsonWebToken(Sign(Claims()));
        Assert.Equal("ES256", jwt.Alg);
        Assert.Equal("key-1", jwt.Kid);
        Assert.Equal("u-1", jwt.Subject);
    }

    public void Dispose() => key.Dispose();

    private sealed class CountingKeys(IReadOnlyDictionary<string, SecurityKey> keys) : ISigningKeyProvider
    {
        private int lookups;

        public int Lookups => Volatile.Read(ref lookups);

        public ValueTask<SecurityKey?> FindKeyAsync(string keyId, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref lookups);
            return ValueTask.FromResult(keys.GetValueOrDefault(keyId));
        }
    }

    private sealed class SlowKeys(ISigningKeyProvider inner) : ISigningKeyProvider
    {
        public async ValueTask<SecurityKey?> FindKeyAsync(string keyId, CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            return await inner.FindKeyAsync(keyId, cancellationToken);
        }
    }

    private sealed class FailingKeys(bool later) : ISigningKeyProvider
    {
        public ValueTask<SecurityKey?> FindKeyAsync(string keyId, CancellationToken cancellationToken = default) =>
            later ? FailLaterAsync() : throw new SigningKeysUnavailableException("no keys");

        private static async ValueTask<SecurityKey?> FailLaterAsync()
        {
            await Task.Yield();
            throw new SigningKeysUnavailableException("no keys");
        }
    }
}
