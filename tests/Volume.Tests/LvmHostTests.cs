using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.HostCommands;
using Volume.Backends;

namespace Volume.Tests;

/// <summary>
/// A test that needs real LVM: a kernel with device-mapper (so logical volumes can be
/// activated), and the lvm2 and losetup programs. Skipped, with the reason, where they are missing.
/// </summary>
public sealed class LvmHostFactAttribute : FactAttribute
{
    public LvmHostFactAttribute()
    {
        // The kernel lists its device-mapper driver in /proc/misc; a /dev/mapper/control node
        // alone (lvm2's package makes one) does not mean the driver is there.
        if (!(File.Exists("/proc/misc") && File.ReadAllText("/proc/misc").Contains("device-mapper", StringComparison.Ordinal)))
            Skip = "this kernel has no device-mapper driver (none in /proc/misc): LVM cannot activate logical volumes here";
        else if (!File.Exists("/sbin/lvcreate") && !File.Exists("/usr/sbin/lvcreate"))
            Skip = "lvm2 is not installed (no lvcreate)";
        else if (Environment.UserName != "root")
            Skip = "LVM needs root";
    }
}

/// <summary>The lvm backend on a real volume group, made on a loop device for the test and removed after it.</summary>
public sealed class LvmHostTests
{
    private const long GiB = 1L << 30;

    [LvmHostFact]
    public async Task The_lvm_backend_makes_copies_grows_and_removes_real_logical_volumes()
    {
        var runner = new ProcessHostCommandRunner(NullLogger<ProcessHostCommandRunner>.Instance);
        var image = Path.Combine(Path.GetTempPath(), $"lvm-pv-{Guid.NewGuid():N}.img");
        var group = $"test-{Guid.NewGuid():N}"[..13];
        string? loop = null;
        try
        {
            await using (var f = File.Create(image)) f.SetLength(4 * GiB);
            loop = (await runner.RunAsync(new HostCommand("losetup", "-f", "--show", image))).StdOut.Trim();
            await runner.RunAsync(new HostCommand("pvcreate", "-y", loop));
            await runner.RunAsync(new HostCommand("vgcreate", group, loop));
            var driver = new LvmDriver(group, runner);

            var capacity = await driver.GetCapacityAsync(CancellationToken.None);
            Assert.InRange(capacity.TotalGb, 3.5, 4.0);
            var data = RandomNumberGenerator.GetBytes(2 * 1024 * 1024);
            await driver.CreateFromDataAsync("a", new MemoryStream(data), 1, CancellationToken.None);
            await driver.ExtendAsync("a", 2, CancellationToken.None);
            await driver.CreateSnapshotAsync("s", "a", CancellationToken.None);
            await driver.CreateFromSnapshotAsync("b", "s", 1, CancellationToken.None);
            var device = driver.InitializeConnection("b", new Dictionary<string, string>()).Data["device_path"];
            var head = new byte[data.Length];
            await using (var f = File.OpenRead(device)) await f.ReadExactlyAsync(head);
            Assert.Equal(data, head);

            await driver.DeleteSnapshotAsync("s", CancellationToken.None);
            await driver.DeleteAsync("a", CancellationToken.None);
            await driver.DeleteAsync("b", CancellationToken.None);
            await driver.DeleteAsync("b", CancellationToken.None);
            Assert.False(File.Exists(device));
        }
        finally
        {
            await runner.RunAsync(new HostCommand("vgremove", "-f", group) { CheckExitCode = false });
            if (loop is { Length: > 0 })
            {
                await runner.RunAsync(new HostCommand("pvremove", "-f", loop) { CheckExitCode = false });
                await runner.RunAsync(new HostCommand("losetup", "-d", loop) { CheckExitCode = false });
            }
            File.Delete(image);
        }
    }
}
