using System.Diagnostics;
using System.Security.Cryptography;
using static Platform.Fleet.Tests.OpenStackCli;

namespace Platform.Fleet.Tests;

/// <summary>The image service through the real `openstack` client: the life of one 200 MiB image.</summary>
[Collection(FleetCollection.Name)]
public sealed class ImageCliTests(FleetFixture fleet) : IDisposable
{
    private readonly string work = Directory.CreateTempSubdirectory("fleet-image-").FullName;

    private Dictionary<string, string> Admin => fleet.OpenRc();
    private Dictionary<string, string> Demo => fleet.OpenRc("demo", "demo", fleet.DemoPassword);

    public void Dispose() => Directory.Delete(work, recursive: true);

    private static async Task<string> DigestAsync(string tool, string file)
    {
        using var process = Process.Start(new ProcessStartInfo(tool, [file]) { RedirectStandardOutput = true })!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output.Split(' ')[0];
    }

    [Fact]
    public async Task An_image_is_created_from_a_file_shown_saved_set_shared_deactivated_and_deleted()
    {
        var name = $"img-{Guid.NewGuid():N}"[..12];
        var file = Path.Combine(work, "disk.qcow2");
        await using (var f = File.Create(file))
        {
            var chunk = new byte[1024 * 1024];
            for (var i = 0; i < 200; i++)
            {
                RandomNumberGenerator.Fill(chunk);
                await f.WriteAsync(chunk);
            }
        }

        var created = await JsonAsync(Admin, "image", "create", "--file", file, "--disk-format", "qcow2", "--container-format", "bare", name);
        var id = created.GetProperty("id").GetString()!;
        Assert.Contains((await JsonAsync(Admin, "image", "list")).EnumerateArray(),
            i => i.GetProperty("Name").GetString() == name && i.GetProperty("Status").GetString() == "active");

        var shown = await JsonAsync(Admin, "image", "show", name);
        Assert.Equal("active", shown.GetProperty("status").GetString());
        Assert.Equal(200L * 1024 * 1024, shown.GetProperty("size").GetInt64());
        Assert.Equal(await DigestAsync("md5sum", file), shown.GetProperty("checksum").GetString());
        var properties = shown.GetProperty("properties");
        Assert.Equal("sha512", properties.GetProperty("os_hash_algo").GetString());
        Assert.Equal(await DigestAsync("sha512sum", file), properties.GetProperty("os_hash_value").GetString());

        var saved = Path.Combine(work, "out");
        (await RunAsync(Admin, "image", "save", "--file", saved, name)).Ok();
        var original = await File.ReadAllBytesAsync(file);
        var copy = await File.ReadAllBytesAsync(saved);
        Assert.True(original.AsSpan().SequenceEqual(copy), "the saved image differs from the uploaded file");

        (await RunAsync(Admin, "image", "set", "--property", "k=v", "--tag", "t", name)).Ok();
        shown = await JsonAsync(Admin, "image", "show", name);
        Assert.Equal("v", shown.GetProperty("properties").GetProperty("k").GetString());
        Assert.Equal(["t"], shown.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        (await RunAsync(Admin, "image", "unset", "--property", "k", "--tag", "t", name)).Ok();
        shown = await JsonAsync(Admin, "image", "show", name);
        Assert.False(shown.GetProperty("properties").TryGetProperty("k", out _));
        Assert.Empty(shown.GetProperty("tags").EnumerateArray());

        // Shared with demo: invisible there until shared, listed once demo accepts.
        (await RunAsync(Admin, "image", "set", "--private", name)).Ok();
        Assert.NotEqual(0, (await RunAsync(Demo, "image", "show", id)).ExitCode);
        (await RunAsync(Admin, "image", "set", "--shared", name)).Ok();
        var member = await JsonAsync(Admin, "image", "add", "project", name, "demo");
        Assert.Equal("pending", member.GetProperty("status").GetString());
        Assert.DoesNotContain((await JsonAsync(Demo, "image", "list")).EnumerateArray(), i => i.GetProperty("ID").GetString() == id);
        (await RunAsync(Demo, "image", "set", "--accept", id)).Ok();
        Assert.Contains((await JsonAsync(Demo, "image", "list")).EnumerateArray(), i => i.GetProperty("ID").GetString() == id);
        Assert.Contains((await JsonAsync(Admin, "image", "member", "list", name)).EnumerateArray(), m => m.GetProperty("Status").GetString() == "accepted");

        (await RunAsync(Admin, "image", "set", "--deactivate", name)).Ok();
        Assert.Equal("deactivated", (await JsonAsync(Admin, "image", "show", name)).GetProperty("status").GetString());
        (await RunAsync(Admin, "image", "set", "--activate", name)).Ok();
        Assert.Equal("active", (await JsonAsync(Admin, "image", "show", name)).GetProperty("status").GetString());

        (await RunAsync(Admin, "image", "delete", name)).Ok();
        Assert.DoesNotContain((await JsonAsync(Admin, "image", "list")).EnumerateArray(), i => i.GetProperty("Name").GetString() == name);
        Assert.False(File.Exists(Path.Combine(fleet.ImageStoreDirectory, id)));
    }
}
