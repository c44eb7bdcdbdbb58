using System.Net;
using Platform.TestSupport;

namespace ComputeApi.Tests;

/// <summary>os-keypairs: generated and imported keys, duplicates, other users' keys, microversion shapes.</summary>
public sealed class KeypairApiTests(MySqlFixture mysql, RabbitMqFixture rabbit)
    : ComputeApiTestBase(mysql, rabbit, "ckeypair"), IClassFixture<MySqlFixture>, IClassFixture<RabbitMqFixture>
{
    // A real ed25519 public key and its MD5 fingerprint (as ssh-keygen -l -E md5 prints it).
    private const string Ed25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl test@host";

    [Fact]
    public async Task A_generated_key_returns_its_private_half_once_and_an_imported_one_keeps_its_fingerprint()
    {
        var generated = await PostAsync("/v2.1/os-keypairs", A, new { keypair = new { name = "gen" } });
        AssertStatus(HttpStatusCode.OK, generated);
        var key = generated.Body.GetProperty("keypair");
        Assert.Contains("PRIVATE KEY", key.GetProperty("private_key").GetString());
        Assert.StartsWith("ssh-rsa ", key.GetProperty("public_key").GetString());
        Assert.Matches("^([0-9a-f]{2}:){15}[0-9a-f]{2}$", key.GetProperty("fingerprint").GetString());
        Assert.Equal("user-of-project-a", key.GetProperty("user_id").GetString());

        var shown = await GetAsync("/v2.1/os-keypairs/gen", A);
        AssertStatus(HttpStatusCode.OK, shown);
        Assert.False(shown.Body.GetProperty("keypair").TryGetProperty("private_key", out _));
        Assert.Equal(key.GetProperty("fingerprint").GetString(), shown.Body.GetProperty("keypair").GetProperty("fingerprint").GetString());

        var imported = await PostAsync("/v2.1/os-keypairs", A, new { keypair = new { name = "imp", public_key = Ed25519, type = "ssh" } }, "2.2");
        AssertStatus(HttpStatusCode.Created, imported);
        Assert.Equal("ssh", imported.Body.GetProperty("keypair").GetProperty("type").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Undefined, imported.Body.GetProperty("keypair").TryGetProperty("private_key", out var pk) ? pk.ValueKind : System.Text.Json.JsonValueKind.Undefined);
#pragma warning disable CA5351 // nova's fingerprint is MD5
        var expected = string.Join(':', System.Security.Cryptography.MD5.HashData(Convert.FromBase64String(Ed25519.Split(' ')[1])).Select(b => b.ToString("x2")));
#pragma warning restore CA5351
        Assert.Equal(expected, imported.Body.GetProperty("keypair").GetProperty("fingerprint").GetString());

        Assert.Equal("Key pair 'imp' already exists.", AssertError(HttpStatusCode.Conflict, await PostAsync("/v2.1/os-keypairs", A, new { keypair = new { name = "imp", public_key = Ed25519 } })));
        AssertError(HttpStatusCode.BadRequest, await PostAsync("/v2.1/os-keypairs", A, new { keypair = new { name = "bad", public_key = "ssh-rsa not-base64!" } }));
        AssertError(HttpStatusCode.BadRequest, await PostAsync("/v2.1/os-keypairs", A, new { keypair = new { name = "" } }));

        var list = await GetAsync("/v2.1/os-keypairs", A);
        Assert.Equal(2, list.Body.GetProperty("keypairs").GetArrayLength());
        Assert.Equal("gen", list.Body.GetProperty("keypairs")[0].GetProperty("keypair").GetProperty("name").GetString());
        var page = await GetAsync("/v2.1/os-keypairs?limit=1", A, "2.35");
        Assert.Single(page.Body.GetProperty("keypairs").EnumerateArray());
        Assert.True(page.Body.TryGetProperty("keypairs_links", out _));

        // Another user's keys are not found; an admin reaches them with user_id from 2.10.
        Assert.Equal("Keypair imp not found for user user-of-project-b", AssertError(HttpStatusCode.NotFound, await GetAsync("/v2.1/os-keypairs/imp", B)));
        Assert.Empty((await GetAsync("/v2.1/os-keypairs", B)).Body.GetProperty("keypairs").EnumerateArray());
        AssertError(HttpStatusCode.NotFound, await DeleteAsync("/v2.1/os-keypairs/imp", B));
        AssertError(HttpStatusCode.Forbidden, await GetAsync("/v2.1/os-keypairs/imp?user_id=user-of-project-a", B, "2.10"));
        AssertStatus(HttpStatusCode.OK, await GetAsync("/v2.1/os-keypairs/imp?user_id=user-of-project-a", Admin, "2.10"));

        AssertStatus(HttpStatusCode.Accepted, await DeleteAsync("/v2.1/os-keypairs/gen", A));
        AssertStatus(HttpStatusCode.NoContent, await DeleteAsync("/v2.1/os-keypairs/imp", A, "2.2"));
        AssertError(HttpStatusCode.NotFound, await GetAsync("/v2.1/os-keypairs/imp", A));
    }

    [Fact]
    public async Task The_key_pairs_quota_is_enforced()
    {
        AssertStatus(HttpStatusCode.OK, await PutAsync("/v2.1/os-quota-sets/project-b", Admin, new { quota_set = new { key_pairs = 1 } }));
        AssertStatus(HttpStatusCode.OK, await PostAsync("/v2.1/os-keypairs", B, new { keypair = new { name = "k1", public_key = Ed25519 } }));
        Assert.Equal("Quota exceeded, too many key pairs.", AssertError(HttpStatusCode.Forbidden, await PostAsync("/v2.1/os-keypairs", B, new { keypair = new { name = "k2", public_key = Ed25519 } })));
    }
}
