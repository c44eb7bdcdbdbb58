using System.Data.Common;
using NetworkServer.Ml2.TypeDrivers;

namespace NetworkServer.Ml2;

/// <summary>
/// ML2's type manager: the drivers <c>ml2:type_drivers</c> enables, a tenant network's segment
/// from the first type in <c>ml2:tenant_network_types</c> that has one free, and an admin's
/// provider segment checked and taken by its own type's driver.
/// </summary>
public sealed class TypeManager
{
    private readonly Dictionary<string, ITypeDriver> drivers;
    private readonly IReadOnlyList<string> tenantTypes;

    public TypeManager(IEnumerable<ITypeDriver> enabled, IReadOnlyList<string> tenantNetworkTypes, int underlayMtu)
    {
        drivers = enabled.ToDictionary(d => d.NetworkType);
        foreach (var type in tenantNetworkTypes)
            if (!drivers.ContainsKey(type)) throw new InvalidOperationException($"ml2:tenant_network_types names '{type}', which ml2:type_drivers does not enable");
        tenantTypes = tenantNetworkTypes;
        UnderlayMtu = underlayMtu;
    }

    /// <summary><c>ml2:path_mtu</c> (else the global 1500): the MTU of the physical network underneath.</summary>
    public int UnderlayMtu { get; }

    public ITypeDriver Driver(string networkType) => drivers.TryGetValue(networkType, out var d) ? d
        : throw SegmentAllocations.Invalid($"network_type value '{networkType}' not supported");

    public async Task<Segment> CreateTenantSegmentAsync(DbTransaction tx, string networkId)
    {
        foreach (var type in tenantTypes)
            if (await drivers[type].AllocateTenantSegmentAsync(tx, networkId) is { } segment) return segment;
        throw SegmentAllocations.NoneLeft();
    }

    public Task<Segment> CreateProviderSegmentAsync(DbTransaction tx, Segment requested, string networkId)
    {
        var driver = Driver(requested.NetworkType);
        driver.Validate(requested);
        return driver.ReserveProviderSegmentAsync(tx, requested, networkId);
    }

    public Task ReleaseSegmentAsync(DbTransaction tx, Segment segment) => Driver(segment.NetworkType).ReleaseSegmentAsync(tx, segment);

    public int Mtu(Segment segment) => Driver(segment.NetworkType).Mtu(UnderlayMtu);

    /// <summary>The drivers and ranges from configuration, named as neutron's ml2_conf.ini names them.</summary>
    public static TypeManager FromConfiguration(IConfiguration configuration)
    {
        static string[] List(string? text, string fallback) =>
            (string.IsNullOrWhiteSpace(text) ? fallback : text).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        var vlanRanges = new Dictionary<string, List<IdRange>>();
        foreach (var entry in List(configuration["ml2_type_vlan:network_vlan_ranges"], "physnet1:1000:1999"))
        {
            var colon = entry.IndexOf(':');
            var physnet = colon < 0 ? entry : entry[..colon];
            var list = vlanRanges.TryGetValue(physnet, out var l) ? l : vlanRanges[physnet] = [];
            if (colon >= 0) list.Add(IdRange.Parse(entry[(colon + 1)..], VlanTypeDriver.MinTag, VlanTypeDriver.MaxTag, "ml2_type_vlan:network_vlan_ranges"));
        }
        var vni = List(configuration["ml2_type_vxlan:vni_ranges"], "1:1000").Select(r => IdRange.Parse(r, 1, (1 << 24) - 1, "ml2_type_vxlan:vni_ranges")).ToList();
        var gre = List(configuration["ml2_type_gre:tunnel_id_ranges"], "1:1000").Select(r => IdRange.Parse(r, 1, int.MaxValue, "ml2_type_gre:tunnel_id_ranges")).ToList();

        var all = new Dictionary<string, ITypeDriver>
        {
            [NetworkTypes.Local] = new LocalTypeDriver(),
            [NetworkTypes.Flat] = new FlatTypeDriver(List(configuration["ml2_type_flat:flat_networks"], "*")),
            [NetworkTypes.Vlan] = new VlanTypeDriver(vlanRanges.ToDictionary(p => p.Key, p => (IReadOnlyList<IdRange>)p.Value)),
            [NetworkTypes.Vxlan] = TunnelTypeDriver.Vxlan(vni),
            [NetworkTypes.Gre] = TunnelTypeDriver.Gre(gre),
        };
        var enabled = List(configuration["ml2:type_drivers"], "local,flat,vlan,vxlan,gre")
            .Select(t => all.TryGetValue(t, out var d) ? d : throw new InvalidOperationException($"ml2:type_drivers names '{t}', which is not a type driver here"));
        var mtu = int.TryParse(configuration["ml2:path_mtu"], out var m) && m > 0 ? m
            : int.TryParse(configuration["global_physnet_mtu"], out var g) && g > 0 ? g : 1500;
        return new TypeManager(enabled, List(configuration["ml2:tenant_network_types"], "vxlan"), mtu);
    }
}
