using System.Text.Json;
using Platform.TestSupport;
using static Platform.Fleet.Tests.OpenStackCli;

namespace Platform.Fleet.Tests;

/// <summary>
/// Volumes on servers through the real `openstack` client: attached to a running server and
/// detached again, what cannot be done refused with nothing changed, and servers booted from a
/// volume (one the user made, one made from an image for the server and deleted with it).
/// </summary>
[Collection(FleetCollection.Name)]
public sealed class ServerVolumeCliTests(FleetFixture fleet)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    private Dictionary<string, string> Admin => fleet.OpenRc();

    // 2.79: --nic none, and delete_on_termination shown on attachments.
    private Dictionary<string, string> Demo => new(fleet.OpenRc("demo", "demo", fleet.DemoPassword)) { ["OS_COMPUTE_API_VERSION"] = "2.79" };

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    private async Task<(string Flavor, string Image, string ImageId)> FlavorAndImageAsync()
    {
        var flavor = Unique("m1.tiny");
        await JsonAsync(Admin, "flavor", "create", "--vcpus", "1", "--ram", "512", "--disk", "1", flavor);
        var (image, id) = await ImageAsync();
        return (flavor, image, id);
    }

    private async Task<(string Image, string ImageId)> ImageAsync()
    {
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(file, System.Security.Cryptography.RandomNumberGenerator.GetBytes(256 * 1024));
            var image = Unique("img");
            var created = await JsonAsync(Admin, "image", "create", "--public", "--file", file, "--disk-format", "raw", "--container-format", "bare", image);
            return (image, created.GetProperty("id").GetString()!);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static async Task<JsonElement> WaitAsync(Dictionary<string, string> env, string kind, string name, string status)
    {
        JsonElement shown = default;
        var reached = await Eventually.TrueAsync(async () =>
        {
            shown = await JsonAsync(env, [.. kind.Split(' '), "show", name]);
            return shown.GetProperty("status").GetString() == status;
        }, Deadline, TimeSpan.FromMilliseconds(300));
        Assert.True(reached, $"{kind} {name} did not become {status}: {shown}");
        return shown;
    }

    private static async Task WaitGoneAsync(Dictionary<string, string> env, string kind, string name) =>
        Assert.True(await Eventually.TrueAsync(async () => (await RunAsync(env, [.. kind.Split(' '), "show", name])).ExitCode != 0, Deadline, TimeSpan.FromMilliseconds(300)),
            $"{kind} {name} is still there");

    private static IEnumerable<string?> AttachedIds(JsonElement server) =>
        server.GetProperty("volumes_attached").EnumerateArray().Select(v => v.GetProperty("id").GetString());

    [Fact]
    public async Task A_volume_is_attached_to_a_running_server_and_detached_again()
    {
        var (flavor, image, _) = await FlavorAndImageAsync();
        string vm1 = Unique("vm1"), v1 = Unique("v1"), other = Unique("admin-vol");
        var volumeId = (await JsonAsync(Demo, "volume", "create", "--size", "1", v1)).GetProperty("id").GetString()!;
        var serverId = (await JsonAsync(Demo, "server", "create", "--flavor", flavor, "--image", image, "--nic", "none", "--wait", vm1)).GetProperty("id").GetString()!;
        await WaitAsync(Demo, "volume", v1, "available");

        var attached = await JsonAsync(Demo, "server", "add", "volume", vm1, v1);
        Assert.Equal("/dev/vdb", attached.GetProperty("Device").GetString());
        var volume = await WaitAsync(Demo, "volume", v1, "in-use");
        var attachment = Assert.Single(volume.GetProperty("attachments").EnumerateArray());
        Assert.Equal(serverId, attachment.GetProperty("server_id").GetString());
        Assert.Equal("/dev/vdb", attachment.GetProperty("device").GetString());
        Assert.Contains(volumeId, AttachedIds(await JsonAsync(Demo, "server", "show", vm1)));
        var listed = Assert.Single((await JsonAsync(Demo, "server", "volume", "list", vm1)).EnumerateArray());
        Assert.Equal("/dev/vdb", listed.GetProperty("Device").GetString());
        Assert.Equal(volumeId, listed.GetProperty("Volume ID").GetString());
        Assert.Contains((await JsonAsync(Demo, "server", "event", "list", vm1)).EnumerateArray(), e => e.GetProperty("Action").GetString() == "attach_volume");
        // The fake hypervisor was handed the volume's file, and its guest saw a 1 GiB disk.
        Assert.Contains("[vdb] 2097152 512-byte logical blocks", (await RunAsync(Demo, "console", "log", "show", vm1)).Ok().StdOut);

        // Refused, and nothing changes: attaching it again, deleting it in use, attaching another project's volume.
        var again = await RunAsync(Demo, "server", "add", "volume", vm1, v1);
        Assert.NotEqual(0, again.ExitCode);
        Assert.Contains("already attached", again.StdErr);
        var delete = await RunAsync(Demo, "volume", "delete", v1);
        Assert.NotEqual(0, delete.ExitCode);
        Assert.Contains("attached", delete.StdErr);
        var otherId = (await JsonAsync(Admin, "volume", "create", "--size", "1", other)).GetProperty("id").GetString()!;
        await WaitAsync(Admin, "volume", other, "available");
        var foreign = await RunAsync(Demo, "server", "add", "volume", vm1, otherId);
        Assert.NotEqual(0, foreign.ExitCode);
        Assert.Equal("available", (await JsonAsync(Admin, "volume", "show", other)).GetProperty("status").GetString());
        Assert.Equal("in-use", (await JsonAsync(Demo, "volume", "show", v1)).GetProperty("status").GetString());
        Assert.Single(AttachedIds(await JsonAsync(Demo, "server", "show", vm1)));

        (await RunAsync(Demo, "server", "remove", "volume", vm1, v1)).Ok();
        volume = await WaitAsync(Demo, "volume", v1, "available");
        Assert.Empty(volume.GetProperty("attachments").EnumerateArray());
        Assert.True(await Eventually.TrueAsync(async () => !AttachedIds(await JsonAsync(Demo, "server", "show", vm1)).Any(), Deadline),
            "the server still lists the volume");
        Assert.Contains("[vdb] removed", (await RunAsync(Demo, "console", "log", "show", vm1)).Ok().StdOut);

        (await RunAsync(Demo, "server", "delete", "--wait", vm1)).Ok();
        (await RunAsync(Demo, "volume", "delete", v1)).Ok();
        (await RunAsync(Admin, "volume", "delete", other)).Ok();
        await WaitGoneAsync(Demo, "volume", v1);
    }

    [Fact]
    public async Task Servers_boot_from_a_volume_and_from_a_volume_made_for_them()
    {
        var (flavor, image, imageId) = await FlavorAndImageAsync();
        string vm2 = Unique("vm2"), vm3 = Unique("vm3"), v2 = Unique("v2");
        var v2Id = (await JsonAsync(Demo, "volume", "create", "--image", image, "--size", "1", v2)).GetProperty("id").GetString()!;
        await WaitAsync(Demo, "volume", v2, "available");

        // The user's own bootable volume.
        var server2 = await JsonAsync(Demo, "server", "create", "--volume", v2, "--flavor", flavor, "--nic", "none", "--wait", vm2);
        Assert.Equal("ACTIVE", server2.GetProperty("status").GetString());
        var vm2Id = server2.GetProperty("id").GetString()!;
        var shown = await JsonAsync(Demo, "server", "show", vm2);
        Assert.Contains("booted from volume", shown.GetProperty("image").GetString());
        Assert.Equal([v2Id], AttachedIds(shown));
        var volume = await WaitAsync(Demo, "volume", v2, "in-use");
        var attachment = Assert.Single(volume.GetProperty("attachments").EnumerateArray());
        Assert.Equal(vm2Id, attachment.GetProperty("server_id").GetString());
        Assert.Equal("/dev/vda", attachment.GetProperty("device").GetString());
        // A boot volume stays: it is not detached while the server has it.
        var detach = await RunAsync(Demo, "server", "remove", "volume", vm2, v2);
        Assert.NotEqual(0, detach.ExitCode);
        Assert.Contains("root device", detach.StdErr);
        // Rebuilt only with its volume's own image (nova before 2.93), and not snapshotted as an image here.
        var (otherImage, _) = await ImageAsync();
        var rebuild = await RunAsync(Demo, "server", "rebuild", "--image", otherImage, vm2);
        Assert.NotEqual(0, rebuild.ExitCode);
        Assert.Contains("different image for a volume-backed server", rebuild.StdErr);
        (await RunAsync(Demo, "server", "rebuild", "--image", image, "--wait", vm2)).Ok();
        Assert.Equal([v2Id], AttachedIds(await JsonAsync(Demo, "server", "show", vm2)));
        Assert.Contains("[vda] 2097152 512-byte logical blocks", (await RunAsync(Demo, "console", "log", "show", vm2)).Ok().StdOut);
        var snapshot = await RunAsync(Demo, "server", "image", "create", "--name", Unique("snap"), vm2);
        Assert.NotEqual(0, snapshot.ExitCode);
        Assert.Equal("ACTIVE", (await JsonAsync(Demo, "server", "show", vm2)).GetProperty("status").GetString());

        // Volumes made from the image for the server: its boot volume, kept when it goes (nova's
        // default), and a data volume marked delete_on_termination, deleted with it.
        var server3 = await JsonAsync(Demo, "server", "create", "--flavor", flavor, "--nic", "none", "--image", image, "--boot-from-volume", "1",
            "--block-device-mapping", $"vdb={imageId}:image:1:true", "--wait", vm3);
        Assert.Equal("ACTIVE", server3.GetProperty("status").GetString());
        var madeIds = AttachedIds(await JsonAsync(Demo, "server", "show", vm3)).ToList();
        Assert.Equal(2, madeIds.Count);
        var devices = new Dictionary<string, string>();
        foreach (var id in madeIds)
        {
            var made = await WaitAsync(Demo, "volume", id!, "in-use");
            Assert.Equal("true", made.GetProperty("bootable").GetString());
            Assert.Equal(1, made.GetProperty("size").GetInt32());
            devices[Assert.Single(made.GetProperty("attachments").EnumerateArray()).GetProperty("device").GetString()!] = id!;
        }
        Assert.Equal(["/dev/vda", "/dev/vdb"], devices.Keys.Order());

        (await RunAsync(Demo, "server", "delete", "--wait", vm2, vm3)).Ok();
        // The user's volume and vm3's boot volume are kept and free again; the data volume goes.
        await WaitAsync(Demo, "volume", v2, "available");
        await WaitAsync(Demo, "volume", devices["/dev/vda"], "available");
        await WaitGoneAsync(Demo, "volume", devices["/dev/vdb"]);
        (await RunAsync(Demo, "volume", "delete", v2, devices["/dev/vda"])).Ok();
        await WaitGoneAsync(Demo, "volume", v2);
    }

    [Fact]
    public async Task A_server_boots_from_a_volume_snapshot_on_a_volume_as_big_as_the_snapshot()
    {
        var (flavor, image, _) = await FlavorAndImageAsync();
        string source = Unique("vs"), snap = Unique("snap"), vm4 = Unique("vm4");
        await JsonAsync(Demo, "volume", "create", "--image", image, "--size", "2", source);
        await WaitAsync(Demo, "volume", source, "available");
        await JsonAsync(Demo, "volume", "snapshot", "create", "--volume", source, snap);
        await WaitAsync(Demo, "volume snapshot", snap, "available");

        // The client asks for a volume from the snapshot and names no size: it takes the snapshot's.
        var server = await JsonAsync(Demo, "server", "create", "--snapshot", snap, "--flavor", flavor, "--nic", "none", "--wait", vm4);
        Assert.Equal("ACTIVE", server.GetProperty("status").GetString());
        var bootId = Assert.Single(AttachedIds(await JsonAsync(Demo, "server", "show", vm4)))!;
        var boot = await WaitAsync(Demo, "volume", bootId, "in-use");
        Assert.Equal(2, boot.GetProperty("size").GetInt32());
        Assert.Contains("[vda] 4194304 512-byte logical blocks", (await RunAsync(Demo, "console", "log", "show", vm4)).Ok().StdOut);

        (await RunAsync(Demo, "server", "delete", "--wait", vm4)).Ok();
        await WaitAsync(Demo, "volume", bootId, "available");
        (await RunAsync(Demo, "volume", "delete", bootId)).Ok();
        await WaitGoneAsync(Demo, "volume", bootId);
        (await RunAsync(Demo, "volume", "snapshot", "delete", snap)).Ok();
        await WaitGoneAsync(Demo, "volume snapshot", snap);
        (await RunAsync(Demo, "volume", "delete", source)).Ok();
    }
}
