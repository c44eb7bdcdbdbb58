using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace Platform.Auth.Tests;

public class JwksTests
{
    [Fact]
    public void Serialized_keys_have_the_rfc7517_shape_and_parse_back()
    {
        using var a = new TestKey("a");
        using var b = new TestKey("b");
        var json = Jwks.Serialize([(a.KeyId, a.Key), (b.KeyId, b.Key)]);

        using var doc = JsonDocument.Parse(json);
        var first = doc.RootElement.GetProperty("keys")[0];
        Assert.Equal("EC", first.GetProperty("kty").GetString());
        Assert.Equal("P-256", first.GetProperty("crv").GetString());
        Assert.Equal("ES256", first.GetProperty("alg").GetString());
        Assert.Equal("sig", first.GetProperty("use").GetString());
        Assert.Equal("a", first.GetProperty("kid").GetString());
        Assert.False(first.TryGetProperty("d", out _));

        var keys = Jwks.Parse(json);
        Assert.Equal(["a", "b"], keys.Keys.Order());
        Assert.IsType<ECDsaSecurityKey>(keys["a"]);
    }

    [Fact]
    public void Keys_of_other_kinds_are_skipped()
    {
        using var a = new TestKey("a");
        var good = JsonDocument.Parse(Jwks.Serialize([(a.KeyId, a.Key)])).RootElement.GetProperty("keys")[0].GetRawText();
        var json = $$"""
            {"keys":[
              {"kty":"RSA","kid":"rsa","n":"AQAB","e":"AQAB"},
              {"kty":"EC","crv":"P-384","kid":"p384","x":"AA","y":"AA"},
              {"kty":"EC","crv":"P-256","kid":"enc","use":"enc","x":"AA","y":"AA"},
              {"kty":"EC","crv":"P-256","kid":"bad","x":"not base64!","y":"AA"},
              {{good}}
            ]}
            """;
        Assert.Equal(["a"], Jwks.Parse(json).Keys);
    }

    [Fact]
    public void A_document_without_keys_is_refused() =>
        Assert.Throws<FormatException>(() => Jwks.Parse("""{"nothing":[]}"""));
}
