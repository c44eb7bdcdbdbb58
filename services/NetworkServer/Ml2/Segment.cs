namespace NetworkServer.Ml2;

/// <summary>A network segment: its type, physical network (flat and vlan) and segmentation id (vlan id, VNI, GRE key).</summary>
public sealed record Segment(string NetworkType, string? PhysicalNetwork, int? SegmentationId);

/// <summary>The network types ML2 knows.</summary>
public static class NetworkTypes
{
    public const string Local = "local";
    public const string Flat = "flat";
    public const string Vlan = "vlan";
    public const string Vxlan = "vxlan";
    public const string Gre = "gre";
}

/// <summary>An inclusive range of segmentation ids, as <c>1000:1999</c> in configuration.</summary>
public sealed record IdRange(int First, int Last)
{
    public long Count => (long)Last - First + 1;

    public bool Contains(int id) => id >= First && id <= Last;

    /// <summary>Parses <c>a:b</c>; the ids must lie within <paramref name="min"/>..<paramref name="max"/>.</summary>
    public static IdRange Parse(string text, int min, int max, string option)
    {
        var parts = text.Split(':', StringSplitOptions.TrimEntries);
        if (parts.Length != 2 || !int.TryParse(parts[0], out var first) || !int.TryParse(parts[1], out var last)
            || first < min || last > max || first > last)
            throw new FormatException($"{option}: '{text}' is not a range first:last within {min}..{max}");
        return new IdRange(first, last);
    }
}
