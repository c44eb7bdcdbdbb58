using System.Data.Common;

namespace NetworkServer.Ml2.TypeDrivers;

/// <summary><c>local</c>: a network on one host only, with no segment to allocate.</summary>
public sealed class LocalTypeDriver : ITypeDriver
{
    public string NetworkType => NetworkTypes.Local;

    public void Validate(Segment requested)
    {
        if (requested.PhysicalNetwork is not null || requested.SegmentationId is not null)
            throw SegmentAllocations.Invalid("provider:physical_network and provider:segmentation_id are not allowed for a local network");
    }

    public Task<Segment> ReserveProviderSegmentAsync(DbTransaction tx, Segment requested, string networkId) => Task.FromResult(requested);

    public Task<Segment?> AllocateTenantSegmentAsync(DbTransaction tx, string networkId) => Task.FromResult<Segment?>(new Segment(NetworkType, null, null));

    public Task ReleaseSegmentAsync(DbTransaction tx, Segment segment) => Task.CompletedTask;

    public int Mtu(int underlayMtu) => underlayMtu;
}

/// <summary><c>flat</c>: a whole physical network, untagged; one network per physical network (<c>ml2_type_flat:flat_networks</c>, <c>*</c> for any).</summary>
public sealed class FlatTypeDriver(IReadOnlyList<string> flatNetworks) : ITypeDriver
{
    public string NetworkType => NetworkTypes.Flat;

    public void Validate(Segment requested)
    {
        if (requested.PhysicalNetwork is null) throw SegmentAllocations.Invalid("provider:physical_network required for a flat provider network");
        if (requested.SegmentationId is not null) throw SegmentAllocations.Invalid("provider:segmentation_id is not allowed for a flat provider network");
        if (!flatNetworks.Contains("*") && !flatNetworks.Contains(requested.PhysicalNetwork))
            throw SegmentAllocations.Invalid($"physical_network '{requested.PhysicalNetwork}' unknown for flat provider network");
    }

    public async Task<Segment> ReserveProviderSegmentAsync(DbTransaction tx, Segment requested, string networkId)
    {
        if (!await SegmentAllocations.TryTakeAsync(tx, NetworkType, requested.PhysicalNetwork, 0, networkId)) throw SegmentAllocations.InUse(requested);
        return requested;
    }

    // A flat network takes a physical network whole: no tenant gets one unasked.
    public Task<Segment?> AllocateTenantSegmentAsync(DbTransaction tx, string networkId) => Task.FromResult<Segment?>(null);

    public Task ReleaseSegmentAsync(DbTransaction tx, Segment segment) => SegmentAllocations.ReleaseAsync(tx, NetworkType, segment.PhysicalNetwork, 0);

    public int Mtu(int underlayMtu) => underlayMtu;
}

/// <summary>
/// <c>vlan</c>: 802.1Q tags on physical networks. <c>ml2_type_vlan:network_vlan_ranges</c> names
/// each physical network, with the tags tenants may get (<c>physnet1:1000:1999</c>) or without
/// (provider networks only). An admin may ask for any valid tag on a known physical network.
/// </summary>
public sealed class VlanTypeDriver(IReadOnlyDictionary<string, IReadOnlyList<IdRange>> ranges) : ITypeDriver
{
    public const int MinTag = 1, MaxTag = 4094;

    public string NetworkType => NetworkTypes.Vlan;

    public void Validate(Segment requested)
    {
        if (requested.PhysicalNetwork is null)
        {
            if (requested.SegmentationId is not null) throw SegmentAllocations.Invalid("segmentation_id requires physical_network for VLAN provider network");
            return;
        }
        if (!ranges.ContainsKey(requested.PhysicalNetwork))
            throw SegmentAllocations.Invalid($"physical_network '{requested.PhysicalNetwork}' unknown for VLAN provider network");
        if (requested.SegmentationId is { } id && (id < MinTag || id > MaxTag))
            throw SegmentAllocations.Invalid($"segmentation_id out of range ({MinTag} through {MaxTag})");
    }

    public async Task<Segment> ReserveProviderSegmentAsync(DbTransaction tx, Segment requested, string networkId)
    {
        if (requested.PhysicalNetwork is null)
            return await AllocateTenantSegmentAsync(tx, networkId) ?? throw SegmentAllocations.NoneLeft();
        if (requested.SegmentationId is { } id)
        {
            if (!await SegmentAllocations.TryTakeAsync(tx, NetworkType, requested.PhysicalNetwork, id, networkId)) throw SegmentAllocations.InUse(requested);
            return requested;
        }
        var free = await SegmentAllocations.TakeFreeAsync(tx, NetworkType, requested.PhysicalNetwork, ranges[requested.PhysicalNetwork], networkId);
        return free is { } tag ? requested with { SegmentationId = tag } : throw SegmentAllocations.NoneLeft();
    }

    public async Task<Segment?> AllocateTenantSegmentAsync(DbTransaction tx, string networkId)
    {
        foreach (var (physnet, physnetRanges) in ranges)
            if (await SegmentAllocations.TakeFreeAsync(tx, NetworkType, physnet, physnetRanges, networkId) is { } tag)
                return new Segment(NetworkType, physnet, tag);
        return null;
    }

    public Task ReleaseSegmentAsync(DbTransaction tx, Segment segment) =>
        SegmentAllocations.ReleaseAsync(tx, NetworkType, segment.PhysicalNetwork, segment.SegmentationId!.Value);

    public int Mtu(int underlayMtu) => underlayMtu;
}

/// <summary>
/// <c>vxlan</c> and <c>gre</c>: overlay networks keyed by a VNI or GRE key from
/// <c>ml2_type_vxlan:vni_ranges</c> or <c>ml2_type_gre:tunnel_id_ranges</c>. Their MTU is the
/// underlay's less the encapsulation (50 bytes for VXLAN over IPv4, 42 for GRE).
/// </summary>
public sealed class TunnelTypeDriver(string networkType, IReadOnlyList<IdRange> ranges, int maxId, int overhead) : ITypeDriver
{
    public string NetworkType => networkType;

    public static TunnelTypeDriver Vxlan(IReadOnlyList<IdRange> ranges) => new(NetworkTypes.Vxlan, ranges, (1 << 24) - 1, 50);

    public static TunnelTypeDriver Gre(IReadOnlyList<IdRange> ranges) => new(NetworkTypes.Gre, ranges, int.MaxValue, 42);

    public void Validate(Segment requested)
    {
        if (requested.PhysicalNetwork is not null) throw SegmentAllocations.Invalid($"provider:physical_network specified for {networkType} network");
        if (requested.SegmentationId is { } id && (id < 1 || id > maxId))
            throw SegmentAllocations.Invalid($"segmentation_id out of range (1 through {maxId})");
    }

    public async Task<Segment> ReserveProviderSegmentAsync(DbTransaction tx, Segment requested, string networkId)
    {
        if (requested.SegmentationId is { } id)
        {
            if (!await SegmentAllocations.TryTakeAsync(tx, networkType, null, id, networkId)) throw SegmentAllocations.InUse(requested);
            return requested;
        }
        return await AllocateTenantSegmentAsync(tx, networkId)
            ?? throw SegmentAllocations.NoneLeft();
    }

    public async Task<Segment?> AllocateTenantSegmentAsync(DbTransaction tx, string networkId) =>
        await SegmentAllocations.TakeFreeAsync(tx, networkType, null, ranges, networkId) is { } id ? new Segment(networkType, null, id) : null;

    public Task ReleaseSegmentAsync(DbTransaction tx, Segment segment) =>
        SegmentAllocations.ReleaseAsync(tx, networkType, null, segment.SegmentationId!.Value);

    public int Mtu(int underlayMtu) => underlayMtu - overhead;
}
