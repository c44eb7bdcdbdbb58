using System.Globalization;
using System.Security.Cryptography;
using Platform.HostCommands;
using Volume.Backends;

namespace Volume.Tests;

/// <summary>
/// The lvm backend's commands and copies, against a stand-in for LVM: the recorded commands make,
/// grow, rename and remove files where the logical volumes' device nodes would be. What real LVM
/// does with them is <see cref="LvmHostTests"/>'s part.
/// </summary>
public sealed class LvmDriverTests : IDisposable
{
    private const long GiB = 1L << 30;
    private const string Group = "vg0";
    private readonly string root = Directory.CreateTempSubdirectory("lvm-dev-").FullName;
    private readonly RecordingHostCommandRunner lvm = new();
    private readonly LvmDriver driver;

    public LvmDriverTests()
    {
        Directory.CreateDirectory(Path.Combine(root, Group));
        driver = new LvmDriver(Group, lvm, root);
        lvm.Respond("vgs", [], _ => HostCommandResult.Ok("  20.00:12.50\n"));
        lvm.Respond("lvs", [], c =>
        {
            var lv = Lv(c.Arguments[^1]);
            if (!File.Exists(lv)) return new HostCommandResult(5, "", $"  Failed to find logical volume \"{c.Arguments[^1]}\"", TimeSpan.Zero);
            return HostCommandResult.Ok(c.Arguments.Contains("lv_size") ? $"  {new FileInfo(lv).Length}\n" : $"  {Path.GetFileName(lv)}\n");
        });
        lvm.Respond("lvcreate", [], c =>
        {
            var name = c.Arguments[c.Arguments.ToList().IndexOf("-n") + 1];
            if (c.Arguments.Contains("--snapshot")) File.Copy(Lv(c.Arguments[^1]), Path.Combine(root, Group, name));
            else
            {
                var size = long.Parse(c.Arguments[c.Arguments.ToList().IndexOf("-L") + 1].TrimEnd('g'), CultureInfo.InvariantCulture) * GiB;
                using var f = File.Create(Path.Combine(root, Group, name));
                f.SetLength(size);
            }
            return HostCommandResult.Ok();
        });
        lvm.Respond("lvextend", [], c =>
        {
            using var f = File.OpenWrite(Lv(c.Arguments[^1]));
            f.SetLength(long.Parse(c.Arguments[1].TrimEnd('g'), CultureInfo.InvariantCulture) * GiB);
            return HostCommandResult.Ok();
        });
        lvm.Respond("lvremove", [], c =>
        {
            File.Delete(Lv(c.Arguments[^1]));
            return HostCommandResult.Ok();
        });
        lvm.Respond("lvrename", [], c =>
        {
            File.Move(Path.Combine(root, c.Arguments[0], c.Arguments[1]), Path.Combine(root, c.Arguments[0], c.Arguments[2]));
            return HostCommandResult.Ok();
        });
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    private string Lv(string groupSlashName) => Path.Combine(root, groupSlashName);

    private string Device(string name) => Path.Combine(root, Group, name);

    [Fact]
    public async Task Volumes_and_snapshots_are_logical_volumes_made_grown_copied_and_removed_once()
    {
        Assert.Equal(new PoolCapacity(20, 12.5), await driver.GetCapacityAsync(CancellationToken.None));

        await driver.CreateAsync("a", 1, CancellationToken.None);
        await driver.CreateAsync("a", 1, CancellationToken.None);
        Assert.Single(lvm.CommandLines, l => l.StartsWith("lvcreate", StringComparison.Ordinal));
        Assert.Contains("lvcreate -y -n volume-a -L 1g vg0", lvm.CommandLines);
        var bytes = RandomNumberGenerator.GetBytes(4096);
        await using (var f = File.OpenWrite(Device("volume-a"))) await f.WriteAsync(bytes);

        await driver.ExtendAsync("a", 2, CancellationToken.None);
        await driver.ExtendAsync("a", 2, CancellationToken.None);
        Assert.Single(lvm.CommandLines, l => l == "lvextend -L 2g vg0/volume-a");
        Assert.Equal(2 * GiB, new FileInfo(Device("volume-a")).Length);

        await driver.CreateSnapshotAsync("s", "a", CancellationToken.None);
        Assert.Contains("lvcreate --snapshot -l 100%ORIGIN -n snapshot-s vg0/volume-a", lvm.CommandLines);
        await driver.CreateFromSnapshotAsync("b", "s", 2, CancellationToken.None);
        await driver.CloneAsync("c", "a", 3, CancellationToken.None);
        foreach (var copy in new[] { "volume-b", "volume-c" })
        {
            var head = new byte[bytes.Length];
            await using var f = File.OpenRead(Device(copy));
            await f.ReadExactlyAsync(head);
            Assert.Equal(bytes, head);
        }
        Assert.Equal(3 * GiB, new FileInfo(Device("volume-c")).Length);
        Assert.False(File.Exists(Device("volume-b-part")));

        var connection = driver.InitializeConnection("b", new Dictionary<string, string> { ["host"] = "compute-1" });
        Assert.Equal("local", connection.DriverVolumeType);
        Assert.Equal(Device("volume-b"), connection.Data["device_path"]);

        await driver.DeleteSnapshotAsync("s", CancellationToken.None);
        foreach (var id in new[] { "a", "b", "c", "a" }) await driver.DeleteAsync(id, CancellationToken.None);
        Assert.Equal(4, lvm.CommandLines.Count(l => l.StartsWith("lvremove", StringComparison.Ordinal)));
        Assert.Empty(Directory.GetFiles(Path.Combine(root, Group)));
        Assert.Throws<FileNotFoundException>(() => driver.InitializeConnection("a", new Dictionary<string, string>()));
    }

    [Fact]
    public async Task A_copy_that_breaks_off_leaves_no_volume_and_no_partial_one()
    {
        await Assert.ThrowsAsync<IOException>(() => driver.CreateFromDataAsync("x", new BreakingStream(), 1, CancellationToken.None));
        Assert.Empty(Directory.GetFiles(Path.Combine(root, Group)));

        var image = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);
        await driver.CreateFromDataAsync("x", new MemoryStream(image), 1, CancellationToken.None);
        var written = await File.ReadAllBytesAsync(Device("volume-x"));
        Assert.Equal(GiB, written.LongLength);
        Assert.True(written.AsSpan(0, image.Length).SequenceEqual(image));
        Assert.Contains("lvrename vg0 volume-x-part volume-x", lvm.CommandLines);
    }

    /// <summary>An upload that gives a megabyte and then fails, as a dropped image download does.</summary>
    private sealed class BreakingStream : Stream
    {
        private int reads;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) =>
            reads++ == 0 ? Math.Min(count, 1 << 20) : throw new IOException("the image service went away");
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
