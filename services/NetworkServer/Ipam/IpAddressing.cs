using System.Net;
using System.Net.Sockets;
using NetworkServer.Common;

namespace NetworkServer.Ipam;

/// <summary>An allocation pool: the first and last address handed out from it, both included.</summary>
public sealed record Pool(string Start, string End);

/// <summary>Addresses as numbers, CIDRs and pools: the arithmetic IPAM needs, for IPv4 and IPv6 alike.</summary>
public static class IpAddressing
{
    public static UInt128 ToNumber(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        UInt128 n = 0;
        foreach (var b in bytes) n = (n << 8) | b;
        return n;
    }

    public static IPAddress FromNumber(UInt128 n, AddressFamily family)
    {
        var bytes = new byte[family == AddressFamily.InterNetwork ? 4 : 16];
        for (var i = bytes.Length - 1; i >= 0; i--)
        {
            bytes[i] = (byte)(n & 0xff);
            n >>= 8;
        }
        return new IPAddress(bytes);
    }

    public static int Version(IPAddress a) => a.AddressFamily == AddressFamily.InterNetwork ? 4 : 6;

    /// <summary>The first and last address of a network.</summary>
    public static (UInt128 First, UInt128 Last) Bounds(IPNetwork network)
    {
        var bits = network.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var first = ToNumber(network.BaseAddress);
        var hostBits = bits - network.PrefixLength;
        var size = hostBits == 128 ? UInt128.MaxValue : (UInt128.One << hostBits) - 1;
        return (first, first + size);
    }

    /// <summary>Parses a CIDR as neutron accepts it; host bits set are a 400 as in neutron.</summary>
    public static IPNetwork ParseCidr(string text, string attribute = "cidr")
    {
        var slash = text.IndexOf('/');
        if (slash < 0 || !IPAddress.TryParse(text[..slash], out var address) || !int.TryParse(text[(slash + 1)..], out var prefix)
            || prefix < 0 || prefix > (address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128))
            throw NeutronErrors.BadAttribute(attribute, $"'{text}' is not a valid IP subnet");
        var network = new IPNetwork(Mask(address, prefix), prefix);
        if (!network.BaseAddress.Equals(address))
            throw NeutronErrors.BadAttribute(attribute, $"'{text}' isn't a recognized IP subnet cidr, '{network}' is recommended");
        return network;
    }

    public static IPAddress Mask(IPAddress address, int prefix)
    {
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(prefix - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xff << (8 - keep));
        }
        return new IPAddress(bytes);
    }

    public static IPAddress ParseAddress(string text, string attribute)
    {
        // IPAddress.TryParse takes "10" as 0.0.0.10; neutron wants a dotted quad or a real IPv6 text.
        if (!IPAddress.TryParse(text, out var address) || (address.AddressFamily == AddressFamily.InterNetwork && text.Count(c => c == '.') != 3))
            throw NeutronErrors.BadAttribute(attribute, $"'{text}' is not a valid IP address");
        return address;
    }

    public static bool Overlap(IPNetwork a, IPNetwork b) =>
        a.BaseAddress.AddressFamily == b.BaseAddress.AddressFamily && (a.Contains(b.BaseAddress) || b.Contains(a.BaseAddress));

    /// <summary>neutron's default pools: every host address of the CIDR except the gateway (and, for IPv4, the network and broadcast addresses).</summary>
    public static List<Pool> DefaultPools(IPNetwork cidr, IPAddress? gateway)
    {
        var family = cidr.BaseAddress.AddressFamily;
        var (first, last) = Bounds(cidr);
        if (family == AddressFamily.InterNetwork && cidr.PrefixLength <= 30) { first++; last--; }
        else if (family == AddressFamily.InterNetworkV6 && cidr.PrefixLength < 128) first++;
        var pools = new List<Pool>();
        if (gateway is not null && cidr.Contains(gateway) && ToNumber(gateway) is var g && g >= first && g <= last)
        {
            if (g > first) pools.Add(new Pool(FromNumber(first, family).ToString(), FromNumber(g - 1, family).ToString()));
            if (g < last) pools.Add(new Pool(FromNumber(g + 1, family).ToString(), FromNumber(last, family).ToString()));
        }
        else if (first <= last)
            pools.Add(new Pool(FromNumber(first, family).ToString(), FromNumber(last, family).ToString()));
        return pools;
    }

    /// <summary>Pools an operator gave, checked as neutron checks them.</summary>
    public static List<Pool> CheckPools(IPNetwork cidr, IReadOnlyList<Pool> pools, IPAddress? gateway)
    {
        var ranges = new List<(UInt128 Start, UInt128 End, Pool Pool)>();
        foreach (var pool in pools)
        {
            var start = ParseAddress(pool.Start, "allocation_pools");
            var end = ParseAddress(pool.End, "allocation_pools");
            if (start.AddressFamily != cidr.BaseAddress.AddressFamily || end.AddressFamily != cidr.BaseAddress.AddressFamily || ToNumber(start) > ToNumber(end))
                throw NeutronErrors.BadRequest("InvalidAllocationPool", $"The allocation pool {pool.Start}-{pool.End} spans beyond the subnet cidr {cidr}.");
            if (!cidr.Contains(start) || !cidr.Contains(end))
                throw NeutronErrors.BadRequest("OutOfBoundsAllocationPool", $"The allocation pool {pool.Start}-{pool.End} spans beyond the subnet cidr {cidr}.");
            ranges.Add((ToNumber(start), ToNumber(end), new Pool(start.ToString(), end.ToString())));
        }
        ranges.Sort((a, b) => a.Start.CompareTo(b.Start));
        for (var i = 1; i < ranges.Count; i++)
            if (ranges[i].Start <= ranges[i - 1].End)
                throw NeutronErrors.Conflict("OverlappingAllocationPools",
                    $"Found overlapping allocation pools: {ranges[i].Pool.Start}-{ranges[i].Pool.End} and {ranges[i - 1].Pool.Start}-{ranges[i - 1].Pool.End} for subnet {cidr}.");
        if (gateway is not null && ToNumber(gateway) is var g && ranges.FirstOrDefault(r => g >= r.Start && g <= r.End) is { Pool: { } hit })
            throw NeutronErrors.Conflict("GatewayConflictWithAllocationPools", $"Gateway ip {gateway} conflicts with allocation pool {hit.Start}-{hit.End}.");
        return [.. ranges.Select(r => r.Pool)];
    }
}
