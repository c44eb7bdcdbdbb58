using Conductor.Contracts;
using Conductor.Db;

namespace Conductor.Tests;

/// <summary>How an instance's block devices change: merged by volume, boot volume first, devices named as nova names them.</summary>
public sealed class BlockDevicesTests
{
    private static BlockDeviceInfo Device(string volume, string? name = null, int? bootIndex = null) =>
        new() { VolumeId = volume, DeviceName = name, BootIndex = bootIndex };

    [Fact]
    public void Changes_replace_by_volume_add_the_new_and_keep_the_boot_volume_first()
    {
        List<BlockDeviceInfo> current = [Device("data", "/dev/vdb"), Device("root", "/dev/vda", 0)];
        var merged = BlockDeviceChanges.Merge(current, [Device("data", "/dev/vdb") with { Attached = true }, Device("more", "/dev/vdc")], null);
        Assert.Equal(["root", "data", "more"], merged.Select(d => d.VolumeId));
        Assert.True(merged[1].Attached);
        Assert.Equal(["root", "more"], BlockDeviceChanges.Merge(merged, null, ["data"]).Select(d => d.VolumeId));
        Assert.Equal(2, current.Count);
    }

    [Fact]
    public void A_new_device_gets_the_name_asked_for_when_free_else_the_next_free_one()
    {
        List<BlockDeviceInfo> current = [Device("root", "/dev/vda", 0), Device("data", "/dev/vdb")];
        Assert.Equal("/dev/vdc", BlockDevices.NextDeviceName(current, null));
        Assert.Equal("/dev/vdc", BlockDevices.NextDeviceName(current, "/dev/vdb"));
        Assert.Equal("/dev/vdf", BlockDevices.NextDeviceName(current, "/dev/vdf"));
        Assert.Equal("/dev/vdb", BlockDevices.NextDeviceName([], ""));
        Assert.Equal("/dev/vdb", BlockDevices.NextDeviceName([], "/dev/vda"));
    }
}
