using System.Data.Common;
using System.Net;
using Dapper;
using Grpc.Core;
using Platform.Hosting;
using Scheduler.Contracts.Placement;
using PlacementClient = Scheduler.Contracts.Placement.Placement.PlacementClient;

namespace ComputeApi.AvailabilityZones;

/// <summary>
/// Which availability zone a host is in, as nova decides it: the zone of an aggregate the host is
/// in, else <c>[DEFAULT] default_availability_zone</c> ("nova"). Services that are not compute
/// services live in <c>internal_service_availability_zone</c> ("internal").
/// </summary>
public sealed class HostZones(IConfiguration configuration, PlacementClient placement)
{
    public string DefaultZone => configuration["default_availability_zone"] ?? configuration["DEFAULT:default_availability_zone"] ?? "nova";

    public string InternalZone => configuration["internal_service_availability_zone"] ?? configuration["DEFAULT:internal_service_availability_zone"] ?? "internal";

    /// <summary>host -> zone for every host in an aggregate with a zone.</summary>
    public static async Task<Dictionary<string, string>> AggregateZonesAsync(DbConnection c, DbTransaction? tx = null)
    {
        var rows = await c.QueryAsync<(string Host, string Zone)>("""
            SELECT h.host, a.availability_zone FROM aggregate_hosts h JOIN aggregates a ON a.id = h.aggregate_id
            WHERE NOT a.deleted AND a.availability_zone IS NOT NULL AND a.availability_zone <> ''
            ORDER BY a.id
            """, transaction: tx);
        var zones = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (host, zone) in rows) zones.TryAdd(host, zone);
        return zones;
    }

    public string ZoneOf(string host, IReadOnlyDictionary<string, string> aggregateZones) =>
        aggregateZones.TryGetValue(host, out var zone) ? zone : DefaultZone;

    /// <summary>Every compute node placement knows, or a 503 when placement cannot be reached.</summary>
    public async Task<IReadOnlyList<ComputeNode>> ComputeNodesAsync(string? host = null, CancellationToken cancellationToken = default)
    {
        try
        {
            var reply = await placement.ListComputeNodesAsync(new ListComputeNodesRequest { Host = host ?? "" },
                deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellationToken);
            return reply.Nodes;
        }
        catch (RpcException e)
        {
            throw new ApiException(HttpStatusCode.ServiceUnavailable, $"Placement service is unavailable: {e.Status.Detail}");
        }
    }
}
