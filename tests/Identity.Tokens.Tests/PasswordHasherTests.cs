using Identity.Passwords;
using Microsoft.Extensions.Configuration;

namespace Identity.Tokens.Tests;

public sealed class PasswordHasherTests
{
    // Cheap rounds keep the tests fast; the format and the checks do not depend on the count.
    private readonly Pbkdf2PasswordHasher hasher = new(new PasswordHasherOptions { Rounds = 1000, MaxPasswordLength = 64 });

    [Fact]
    public void A_hash_verifies_its_password_only()
    {
        var hash = hasher.Hash("correct horse");
        Assert.True(hasher.Verify("correct horse", hash));
        Assert.False(hasher.Verify("correct horsE", hash));
        Assert.False(hasher.Verify("", hash));
    }

    [Fact]
    public void Non_ascii_passwords_round_trip()
    {
        var hash = hasher.Hash("pässwörd-密码");
        Assert.True(hasher.Verify("pässwörd-密码", hash));
        Assert.False(hasher.Verify("passwoerd-密码", hash));
    }

    [Fact]
    public void The_stored_form_names_the_algorithm_rounds_salt_and_hash()
    {
        var parts = hasher.Hash("secret").Split('$');
        Assert.Equal(["", "pbkdf2-sha512", "1000"], parts[..3]);
        Assert.Equal(16, Convert.FromBase64String(parts[3]).Length);
        Assert.Equal(64, Convert.FromBase64String(parts[4]).Length);
    }

    [Fact]
    public void Each_hash_has_its_own_salt()
    {
        var a = hasher.Hash("same");
        var b = hasher.Hash("same");
        Assert.NotEqual(a.Split('$')[3], b.Split('$')[3]);
        Assert.NotEqual(a, b);
        Assert.True(hasher.Verify("same", a) && hasher.Verify("same", b));
    }

    [Fact]
    public void A_hash_at_other_rounds_needs_rehashing_but_still_verifies()
    {
        var stronger = new Pbkdf2PasswordHasher(new PasswordHasherOptions { Rounds = 2000 });
        var old = hasher.Hash("secret");
        Assert.False(hasher.NeedsRehash(old));
        Assert.True(stronger.NeedsRehash(old));
        Assert.True(stronger.Verify("secret", old));
        Assert.False(stronger.NeedsRehash(stronger.Hash("secret")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("plaintext")]
    [InlineData("$2b$12$abcdefghijklmnopqrstuu")]
    [InlineData("$pbkdf2-sha512$1000$!!!$!!!")]
    [InlineData("$pbkdf2-sha512$0$AAAAAAAAAAAAAAAAAAAAAA==$AAAA")]
    [InlineData("$pbkdf2-sha512$1000$AAAAAAAAAAAAAAAAAAAAAA==$AAAA")]
    public void A_stored_value_of_another_kind_never_verifies(string stored)
    {
        Assert.False(hasher.Verify("secret", stored));
        Assert.True(hasher.NeedsRehash(stored));
    }

    [Fact]
    public void Over_long_passwords_are_refused_without_echoing_them()
    {
        var tooLong = new string('p', 65);
        var e = Assert.Throws<ArgumentException>(() => hasher.Hash(tooLong));
        Assert.DoesNotContain(tooLong, e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => hasher.Verify(tooLong, hasher.Hash("secret")));
        Assert.True(hasher.Verify(new string('p', 64), hasher.Hash(new string('p', 64))));
    }

    [Fact]
    public void Options_come_from_configuration_with_keystones_defaults()
    {
        var defaults = PasswordHasherOptions.FromConfiguration(new ConfigurationBuilder().Build());
        Assert.Equal(100_000, defaults.Rounds);
        Assert.Equal(4096, defaults.MaxPasswordLength);
        Assert.StartsWith("$pbkdf2-sha512$100000$", new Pbkdf2PasswordHasher(defaults).Hash("secret"), StringComparison.Ordinal);

        var set = PasswordHasherOptions.FromConfiguration(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["identity:password_hash_rounds"] = "5000",
            ["identity:max_password_length"] = "128",
        }).Build());
        Assert.Equal(new PasswordHasherOptions { Rounds = 5000, MaxPasswordLength = 128 }, set);
        Assert.Throws<FormatException>(() => PasswordHasherOptions.FromConfiguration(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["identity:password_hash_rounds"] = "0" }).Build()));
    }
}
