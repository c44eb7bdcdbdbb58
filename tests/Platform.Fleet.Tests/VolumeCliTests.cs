using System.Security.Cryptography;
using System.Text.Json;
using Platform.TestSupport;
using static Platform.Fleet.Tests.OpenStackCli;

namespace Platform.Fleet.Tests;

/// <summary>
/// The volume service through the real `openstack` client: volumes made empty, from an image
/// and from a snapshot, extended, refused what cinder refuses, and deleted; the file backend's
/// files checked byte for byte.
/// </summary>
[Collection(FleetCollection.Name)]
public sealed class VolumeCliTests(FleetFixture fleet) : IDisposable
{
    private const long GiB = 1L << 30;
    private readonly string work = Directory.CreateTempSubdirectory("fleet-volume-").FullName;

    private Dictionary<string, string> Admin => fleet.OpenRc();
    private Dictionary<string, string> Demo => fleet.OpenRc("demo", "demo", fleet.DemoPassword);

    public void Dispose() => Directory.Delete(work, recursive: true);

    private async Task<JsonElement> WaitForAsync(string kind, string name, string status)
    {
        JsonElement shown = default;
        var reached = await Eventually.TrueAsync(async () =>
        {
            shown = await JsonAsync(Admin, [.. kind.Split(' '), "show", name]);
            return shown.GetProperty("status").GetString() == status;
        }, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(300));
        Assert.True(reached, $"{kind} {name} did not become {status}: {shown}");
        return shown;
    }

    private async Task<JsonElement> WaitForDemoAsync(string name)
    {
        JsonElement shown = default;
        Assert.True(await Eventually.TrueAsync(async () =>
        {
            shown = await JsonAsync(Demo, "volume", "show", name);
            return shown.GetProperty("status").GetString() != "creating";
        }, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(300)), $"{name} stayed creating");
        return shown;
    }

    private string FileOf(string id) => Path.Combine(fleet.VolumesDirectory, $"volume-{id}");

    [Fact]
    public async Task A_volume_type_steers_volumes_to_the_backend_it_names()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        string fast = $"fast-{suffix}", nowhere = $"nowhere-{suffix}", v4 = $"v4-{suffix}", v5 = $"v5-{suffix}";
        await JsonAsync(Admin, "volume", "type", "create", "--property", "volume_backend_name=file", fast);
        var shown = await JsonAsync(Admin, "volume", "type", "show", fast);
        Assert.Equal("file", shown.GetProperty("properties").GetProperty("volume_backend_name").GetString());
        Assert.Contains((await JsonAsync(Admin, "volume", "type", "list")).EnumerateArray(), t => t.GetProperty("Name").GetString() == fast);
        await JsonAsync(Admin, "volume", "type", "create", "--property", "volume_backend_name=lvm", nowhere);

        await JsonAsync(Admin, "volume", "create", "--type", fast, "--size", "1", v4);
        Assert.Equal(fast, (await WaitForAsync("volume", v4, "available")).GetProperty("type").GetString());
        // No backend is called lvm here: the scheduler finds no place for it.
        await JsonAsync(Admin, "volume", "create", "--type", nowhere, "--size", "1", v5);
        await WaitForAsync("volume", v5, "error");

        var refused = await RunAsync(Admin, "volume", "type", "delete", fast);
        Assert.NotEqual(0, refused.ExitCode);
        (await RunAsync(Admin, "volume", "delete", v4, v5)).Ok();
        Assert.True(await Eventually.TrueAsync(async () => (await RunAsync(Admin, "volume", "show", v4)).ExitCode != 0, TimeSpan.FromSeconds(60)));
        (await RunAsync(Admin, "volume", "type", "delete", fast, nowhere)).Ok();
    }

    [Fact]
    public async Task Volumes_are_created_from_nothing_an_image_and_a_snapshot_extended_and_deleted()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        string v1 = $"v1-{suffix}", v2 = $"v2-{suffix}", v3 = $"v3-{suffix}", s1 = $"s1-{suffix}", img = $"img-{suffix}";

        // An image of 3 MiB and a bit, random, so every byte of the copy can be checked.
        var imageFile = Path.Combine(work, "disk.raw");
        var data = new byte[3 * 1024 * 1024 + 12345];
        RandomNumberGenerator.Fill(data);
        await File.WriteAllBytesAsync(imageFile, data);
        await JsonAsync(Admin, "image", "create", "--file", imageFile, "--disk-format", "raw", "--container-format", "bare", img);

        var created = await JsonAsync(Admin, "volume", "create", "--size", "1", v1);
        Assert.Equal(1, created.GetProperty("size").GetInt32());
        var volume1 = await WaitForAsync("volume", v1, "available");
        var id1 = volume1.GetProperty("id").GetString()!;
        Assert.Equal(GiB, new FileInfo(FileOf(id1)).Length);

        await JsonAsync(Admin, "volume", "create", "--image", img, "--size", "1", v2);
        var volume2 = await WaitForAsync("volume", v2, "available");
        Assert.Equal("true", volume2.GetProperty("bootable").GetString());
        var copy = await File.ReadAllBytesAsync(FileOf(volume2.GetProperty("id").GetString()!));
        Assert.Equal(GiB, copy.LongLength);
        Assert.True(copy.AsSpan(0, data.Length).SequenceEqual(data), "the volume's bytes differ from the image's");
        Assert.False(copy.AsSpan(data.Length).ContainsAnyExcept((byte)0), "the volume has bytes past the image's that are not zero");

        await JsonAsync(Admin, "volume", "snapshot", "create", "--volume", v1, s1);
        await WaitForAsync("volume snapshot", s1, "available");
        await JsonAsync(Admin, "volume", "create", "--snapshot", s1, v3);
        var volume3 = await WaitForAsync("volume", v3, "available");
        Assert.Equal(1, volume3.GetProperty("size").GetInt32());

        // What cinder refuses, refused, and nothing changed.
        var refused = await RunAsync(Admin, "volume", "delete", v1);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("have snapshots", refused.StdErr);
        refused = await RunAsync(Admin, "volume", "set", "--size", "1", v1);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Equal("available", (await JsonAsync(Admin, "volume", "show", v1)).GetProperty("status").GetString());

        (await RunAsync(Admin, "volume", "set", "--size", "2", v1)).Ok();
        Assert.True(await Eventually.TrueAsync(async () =>
        {
            var shown = await JsonAsync(Admin, "volume", "show", v1);
            return shown.GetProperty("size").GetInt32() == 2 && shown.GetProperty("status").GetString() == "available";
        }, TimeSpan.FromSeconds(60)), "v1 was not extended to 2 GiB");
        Assert.Equal(2 * GiB, new FileInfo(FileOf(id1)).Length);

        // Another project's user sees none of it, and its own volume is its own.
        var demoVolume = $"demo-{suffix}";
        Assert.NotEqual(0, (await RunAsync(Demo, "volume", "show", id1)).ExitCode);
        Assert.DoesNotContain((await JsonAsync(Demo, "volume", "list")).EnumerateArray(), v => v.GetProperty("ID").GetString() == id1);
        await JsonAsync(Demo, "volume", "create", "--size", "1", demoVolume);
        Assert.Equal("available", (await WaitForDemoAsync(demoVolume)).GetProperty("status").GetString());
        (await RunAsync(Demo, "volume", "delete", demoVolume)).Ok();

        var listed = await JsonAsync(Admin, "volume", "list");
        Assert.Equal(3, listed.EnumerateArray().Count(v => v.GetProperty("Name").GetString()!.EndsWith(suffix, StringComparison.Ordinal)));
        var services = await JsonAsync(Admin, "volume", "service", "list");
        Assert.Contains(services.EnumerateArray(), s => s.GetProperty("Binary").GetString() == "cinder-volume" && s.GetProperty("State").GetString() == "up");

        (await RunAsync(Admin, "volume", "snapshot", "delete", s1)).Ok();
        Assert.True(await Eventually.TrueAsync(async () => (await RunAsync(Admin, "volume", "snapshot", "show", s1)).ExitCode != 0, TimeSpan.FromSeconds(60)));
        (await RunAsync(Admin, "volume", "delete", v1, v2, v3)).Ok();
        Assert.True(await Eventually.TrueAsync(async () =>
            !(await JsonAsync(Admin, "volume", "list")).EnumerateArray().Any(v => v.GetProperty("Name").GetString()!.EndsWith(suffix, StringComparison.Ordinal)),
            TimeSpan.FromSeconds(60)), "the volumes were not deleted");
        Assert.False(File.Exists(FileOf(id1)));
        (await RunAsync(Admin, "image", "delete", img)).Ok();
    }
}
