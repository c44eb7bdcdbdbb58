using System.Data.Common;
using System.Net;
using Dapper;
using MySqlConnector;
using Platform.Data;
using NetworkServer.Db;

namespace NetworkServer.Ipam;

/// <summary>
/// Fixed IPs. An address is taken by inserting its ipallocations row inside the port's
/// transaction; the key (subnet, address) makes a second taker wait and then fail, so no address
/// is ever given twice. Free addresses are tried at random first, so many ports created at once
/// seldom want the same one; a crowded subnet is searched with a fresh look at what is taken.
/// </summary>
public static class IpAllocator
{
    private const int RandomTries = 6;
    private const int Candidates = 32;

    public static async Task<bool> TryTakeAsync(DbTransaction tx, Subnet subnet, string ip, string portId) =>
        await tx.Connection!.ExecuteAsync(
            "INSERT IGNORE INTO ipallocations (subnet_id, ip_address, port_id, network_id) VALUES (@subnet, @ip, @portId, @network)",
            new { subnet = subnet.Id, ip, portId, network = subnet.NetworkId }, tx) == 1;

    /// <summary>A free address of <paramref name="subnet"/>'s pools, taken for the port; null when there is none.</summary>
    public static async Task<string?> TakeAnyAsync(DbTransaction tx, Subnet subnet, string portId)
    {
        var ranges = subnet.Pools.Select(p => (Start: IpAddressing.ToNumber(IPAddress.Parse(p.Start)), End: IpAddressing.ToNumber(IPAddress.Parse(p.End)))).ToList();
        if (ranges.Count == 0) return null;
        var family = IPAddress.Parse(subnet.Pools[0].Start).AddressFamily;
        UInt128 total = 0;
        foreach (var r in ranges) total += r.End - r.Start + 1;

        for (var i = 0; i < RandomTries; i++)
        {
            var pick = RandomBelow(total);
            foreach (var (start, end) in ranges)
            {
                var size = end - start + 1;
                if (pick < size)
                {
                    var ip = IpAddressing.FromNumber(start + pick, family).ToString();
                    if (await TryTakeAsync(tx, subnet, ip, portId)) return ip;
                    break;
                }
                pick -= size;
            }
        }

        // Crowded: look at what is taken now (outside this transaction's snapshot, which would
        // keep offering addresses taken since it began) and try free ones in random order.
        await using var look = await tx.OpenSideConnectionAsync();
        while (true)
        {
            var taken = (await look.QueryAsync<string>("SELECT ip_address FROM ipallocations WHERE subnet_id = @id", new { id = subnet.Id }))
                .Select(a => IpAddressing.ToNumber(IPAddress.Parse(a))).ToHashSet();
            var free = new List<UInt128>();
            foreach (var (start, end) in ranges)
            {
                for (var n = start; n <= end && free.Count < Candidates; n++)
                    if (!taken.Contains(n)) free.Add(n);
                if (free.Count >= Candidates) break;
            }
            if (free.Count == 0) return null;
            foreach (var n in free.OrderBy(_ => Random.Shared.Next()))
            {
                var ip = IpAddressing.FromNumber(n, family).ToString();
                if (await TryTakeAsync(tx, subnet, ip, portId)) return ip;
            }
        }
    }

    private static UInt128 RandomBelow(UInt128 n)
    {
        if (n <= long.MaxValue) return (UInt128)Random.Shared.NextInt64((long)n);
        var value = ((UInt128)(ulong)Random.Shared.NextInt64() << 64) | (ulong)Random.Shared.NextInt64();
        return value % n;
    }
}
