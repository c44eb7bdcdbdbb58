using System.Buffers.Text;
using System.Runtime.Versioning;
using Identity.Keys;
using Microsoft.IdentityModel.Tokens;

namespace Identity.Tokens.Tests;

// The fleet runs on Linux; file modes are part of what is tested.
[UnsupportedOSPlatform("windows")]
public sealed class KeyRepositoryTests : IDisposable
{
    private readonly KeyDirectory dir = new();

    [Fact]
    public void Setup_creates_a_primary_and_a_staged_key_and_is_idempotent()
    {
        var repository = dir.Open();
        Assert.True(repository.Setup());
        var first = repository.Current;

        Assert.False(repository.Setup());
        Assert.False(dir.Open().Setup());

        Assert.Equal(["0.pem", "1.pem"], dir.Files());
        Assert.Equal(1, first.Primary!.Index);
        Assert.Equal(0, first.Staged!.Index);
        Assert.Empty(first.Secondaries);
        Assert.Equal(first.Keys.Select(k => k.KeyId), repository.Current.Keys.Select(k => k.KeyId));
    }

    [Fact]
    public void Key_files_are_private_to_the_owner()
    {
        var repository = dir.Open();
        repository.Setup();
        repository.Rotate();

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dir.Dir));
        foreach (var file in dir.Files())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dir.Dir, file)));
    }

    [Fact]
    public void Setup_tightens_an_existing_directory()
    {
        Directory.CreateDirectory(dir.Dir);
        File.SetUnixFileMode(dir.Dir, (UnixFileMode)0b111_101_101);
        dir.Open().Setup();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dir.Dir));
    }

    [Fact]
    public void Rotation_promotes_the_staged_key_stages_a_new_one_and_keeps_the_old_primary()
    {
        var repository = dir.Open();
        repository.Setup();
        var before = repository.Current;

        var after = repository.Rotate().Keys;

        Assert.Equal(["0.pem", "1.pem", "1.retired", "2.pem"], dir.Files());
        Assert.Equal(before.Staged!.KeyId, after.Primary!.KeyId);
        Assert.Equal(2, after.Primary.Index);
        var secondary = Assert.Single(after.Secondaries);
        Assert.Equal(before.Primary!.KeyId, secondary.KeyId);
        Assert.Equal(dir.Clock.GetUtcNow(), secondary.RetiredAt);
        Assert.DoesNotContain(after.Staged!.KeyId, before.Keys.Select(k => k.KeyId));
        Assert.Same(after, repository.Current);
    }

    [Fact]
    public void Rotation_before_setup_is_refused()
    {
        var repository = dir.Open();
        Assert.Throws<InvalidOperationException>(() => repository.Rotate());
        Directory.CreateDirectory(dir.Dir);
        Assert.Throws<InvalidOperationException>(() => repository.Rotate());
    }

    [Fact]
    public void A_secondary_is_pruned_only_once_its_tokens_have_all_expired()
    {
        var repository = dir.Open();
        repository.Setup();
        var first = repository.Current.Primary!.KeyId;
        repository.Rotate();                                   // key 1 retired at t0

        dir.Clock.Advance(TimeSpan.FromMinutes(30));
        Assert.Empty(repository.Rotate().Pruned);              // key 2 retired at t0+30m
        dir.Clock.Advance(TimeSpan.FromMinutes(34));           // t0+64m: expiration (60m) + margin (5m) not yet over
        Assert.Empty(repository.Rotate().Pruned);
        Assert.NotNull(repository.Current.Find(first));

        dir.Clock.Advance(TimeSpan.FromMinutes(2));            // t0+66m
        var result = repository.Rotate();

        Assert.Equal([1], result.Pruned);
        Assert.Null(result.Keys.Find(first));
        Assert.DoesNotContain("1.pem", dir.Files());
        Assert.DoesNotContain("1.retired", dir.Files());
        Assert.Equal([5, 4, 3, 2, 0], result.Keys.Keys.Select(k => k.Index));
    }

    [Fact]
    public void A_secondary_without_a_retirement_date_is_dated_rather_than_removed()
    {
        var repository = dir.Open();
        repository.Setup();
        repository.Rotate();
        File.Delete(Path.Combine(dir.Dir, "1.retired"));
        dir.Clock.Advance(TimeSpan.FromDays(1));

        Assert.Empty(repository.Rotate().Pruned);
        Assert.Contains("1.retired", dir.Files());
        Assert.Equal(dir.Clock.GetUtcNow(), repository.Current.Secondaries.Single(k => k.Index == 1).RetiredAt);
    }

    [Fact]
    public void Another_instance_picks_up_a_rotation_after_its_reload_interval()
    {
        var writer = dir.Open();
        writer.Setup();
        var reader = dir.Open();
        var before = reader.Current;

        writer.Rotate();
        dir.Clock.Advance(TimeSpan.FromSeconds(4));
        Assert.Same(before, reader.Current);

        dir.Clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(writer.Current.Keys.Select(k => k.KeyId), reader.Current.Keys.Select(k => k.KeyId));
        Assert.Equal(before.Staged!.KeyId, reader.Current.Primary!.KeyId);
    }

    [Fact]
    public void Without_changes_on_disk_the_keys_are_not_reloaded()
    {
        var repository = dir.Open();
        repository.Setup();
        var before = repository.Current;
        dir.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Same(before, repository.Current);
    }

    [Fact]
    public void A_missing_repository_has_no_keys()
    {
        var keys = dir.Open().Current;
        Assert.Empty(keys.Keys);
        Assert.Null(keys.Primary);
    }

    [Fact]
    public void Key_ids_are_RFC_7638_thumbprints()
    {
        var repository = dir.Open();
        repository.Setup();
        foreach (var key in repository.Current.Keys)
        {
            var jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(key.PublicKey));
            Assert.Equal(Base64Url.EncodeToString(jwk.ComputeJwkThumbprint()), key.KeyId);
        }
    }

    [Fact]
    public void Temporary_and_foreign_files_are_not_keys()
    {
        var repository = dir.Open();
        repository.Setup();
        File.WriteAllText(Path.Combine(dir.Dir, ".0.pem.abc.tmp"), "half");
        File.WriteAllText(Path.Combine(dir.Dir, "notes.pem"), "hello");
        File.WriteAllText(Path.Combine(dir.Dir, "01.pem"), "hello");
        Assert.Equal(2, repository.Reload().Keys.Count);
    }

    [Fact]
    public async Task Rotations_by_two_instances_at_once_do_not_interleave()
    {
        dir.Open().Setup();
        var a = dir.Open();
        var b = dir.Open();
        await Task.WhenAll(Task.Run(() => { for (var i = 0; i < 5; i++) a.Rotate(); }), Task.Run(() => { for (var i = 0; i < 5; i++) b.Rotate(); }));

        var keys = dir.Open().Current;
        Assert.Equal(11, keys.Primary!.Index);
        Assert.Equal(12, keys.Keys.Count);
        Assert.Equal(keys.Keys.Count, keys.Keys.Select(k => k.KeyId).Distinct().Count());
        Assert.Equal(10, keys.Secondaries.Count(k => k.RetiredAt is not null));
    }

    public void Dispose() => dir.Dispose();
}
