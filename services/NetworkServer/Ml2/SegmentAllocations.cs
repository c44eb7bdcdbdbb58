using System.Data.Common;
using Dapper;
using MySqlConnector;
using Platform.Data;
using Platform.Hosting;

namespace NetworkServer.Ml2;

/// <summary>
/// The ml2_segment_allocations table. A segment is taken by inserting its row: the primary key
/// makes a second taker fail, so no id is ever handed out twice, across threads and servers.
/// Free ids are tried at random first (two servers rarely want the same one), then by search.
/// </summary>
public static class SegmentAllocations
{
    private const int RandomTries = 8;

    /// <summary>Takes exactly this segment; false if it is in use.</summary>
    public static async Task<bool> TryTakeAsync(DbTransaction tx, string type, string? physicalNetwork, int id, string networkId) =>
        await tx.Connection!.ExecuteAsync("""
            INSERT IGNORE INTO ml2_segment_allocations (network_type, physical_network, segmentation_id, network_id)
            VALUES (@type, @physnet, @id, @networkId)
            """, new { type, physnet = physicalNetwork ?? "", id, networkId }, tx) == 1;

    public static Task ReleaseAsync(DbTransaction tx, string type, string? physicalNetwork, int id) =>
        tx.Connection!.ExecuteAsync(
            "DELETE FROM ml2_segment_allocations WHERE network_type = @type AND physical_network = @physnet AND segmentation_id = @id",
            new { type, physnet = physicalNetwork ?? "", id }, tx);

    /// <summary>A free id from <paramref name="ranges"/>, taken for <paramref name="networkId"/>; null when all are in use.</summary>
    public static async Task<int?> TakeFreeAsync(DbTransaction tx, string type, string? physicalNetwork, IReadOnlyList<IdRange> ranges, string networkId)
    {
        var total = ranges.Sum(r => r.Count);
        if (total == 0) return null;
        for (var i = 0; i < RandomTries; i++)
        {
            var pick = Random.Shared.NextInt64(total);
            var range = ranges.First(r => (pick -= r.Count) < 0);
            var id = (int)(range.Last + 1 + pick);
            if (await TryTakeAsync(tx, type, physicalNetwork, id, networkId)) return id;
        }
        // Crowded: search each range for its lowest free id. The search runs outside the
        // transaction, so each look sees what others have committed since; the transaction's own
        // snapshot would keep offering an id taken after it began.
        await using var look = await tx.OpenSideConnectionAsync();
        foreach (var range in ranges)
        {
            while (await LowestFreeAsync(look, type, physicalNetwork, range) is { } id)
                if (await TryTakeAsync(tx, type, physicalNetwork, id, networkId)) return id;
        }
        return null;
    }

    private static Task<int?> LowestFreeAsync(MySqlConnection c, string type, string? physicalNetwork, IdRange range) =>
        c.ExecuteScalarAsync<int?>("""
            SELECT MIN(candidate) FROM (
              SELECT @first AS candidate
              UNION ALL
              SELECT a.segmentation_id + 1 FROM ml2_segment_allocations a
              WHERE a.network_type = @type AND a.physical_network = @physnet AND a.segmentation_id BETWEEN @first AND @last
            ) c
            WHERE candidate BETWEEN @first AND @last
              AND NOT EXISTS (SELECT 1 FROM ml2_segment_allocations b
                              WHERE b.network_type = @type AND b.physical_network = @physnet AND b.segmentation_id = candidate)
            """, new { type, physnet = physicalNetwork ?? "", first = range.First, last = range.Last });

    public static ApiException InUse(Segment s) => ApiException.Conflict(
        s.NetworkType == NetworkTypes.Flat
            ? $"Unable to create the flat network. Physical network {s.PhysicalNetwork} is in use."
            : $"Unable to create the network. The {s.NetworkType} {(s.NetworkType == NetworkTypes.Vlan ? $"VLAN {s.SegmentationId} on physical network {s.PhysicalNetwork}" : $"segmentation id {s.SegmentationId}")} is in use.",
        s.NetworkType == NetworkTypes.Flat ? "FlatNetworkInUse" : s.NetworkType == NetworkTypes.Vlan ? "VlanIdInUse" : "TunnelIdInUse");

    /// <summary>neutron's answer when every segment a network could get is in use.</summary>
    public static ApiException NoneLeft() => new(System.Net.HttpStatusCode.ServiceUnavailable,
        "Unable to create the network. No tenant network is available for allocation.", "NoNetworkAvailable");

    public static ApiException Invalid(string message) => ApiException.BadRequest($"Invalid input for operation: {message}.", "InvalidInput");
}
