using Conductor.Contracts;

namespace Conductor.Db;

/// <summary>An instance's block devices: naming a new device (merging changes is <see cref="BlockDeviceChanges"/>).</summary>
public static class BlockDevices
{
    /// <summary>
    /// The device a new volume gets, as nova's reserve_block_device_name: the one asked for when
    /// it is free, else the next free <c>/dev/vdX</c> after the root disk's <c>/dev/vda</c>.
    /// </summary>
    public static string NextDeviceName(IEnumerable<BlockDeviceInfo> current, string? wanted)
    {
        var taken = current.Select(d => d.DeviceName).Where(n => n is not null).ToHashSet(StringComparer.Ordinal);
        taken.Add("/dev/vda");
        if (!string.IsNullOrEmpty(wanted) && !taken.Contains(wanted)) return wanted;
        for (var letter = 'b'; letter <= 'z'; letter++)
        {
            var name = $"/dev/vd{letter}";
            if (!taken.Contains(name)) return name;
        }
        throw new InvalidOperationException("no free device name is left on this instance");
    }
}
