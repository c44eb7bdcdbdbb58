using Conductor.Contracts;

namespace Conductor.Db;

/// <summary>An instance's block devices: merging an agent's changes, and naming a new device.</summary>
public static class BlockDevices
{
    /// <summary>
    /// <paramref name="current"/> with <paramref name="set"/> put in place of the devices of the
    /// same volume (or added after them) and <paramref name="remove"/> taken out; the boot volume stays first.
    /// </summary>
    public static List<BlockDeviceInfo> Merge(List<BlockDeviceInfo> current, IReadOnlyList<BlockDeviceInfo>? set, IReadOnlyList<string>? remove)
    {
        var result = new List<BlockDeviceInfo>(current);
        foreach (var device in set ?? [])
        {
            var at = result.FindIndex(d => d.VolumeId == device.VolumeId);
            if (at >= 0) result[at] = device;
            else result.Add(device);
        }
        if (remove is { Count: > 0 }) result.RemoveAll(d => remove.Contains(d.VolumeId));
        return [.. result.OrderBy(d => d.IsRoot ? 0 : 1)];
    }

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
