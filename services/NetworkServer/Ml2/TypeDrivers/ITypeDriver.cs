using System.Data.Common;

namespace NetworkServer.Ml2.TypeDrivers;

/// <summary>
/// One network type, as neutron's ML2 type drivers: checks a segment an admin asks for, takes
/// it, finds a free one for a tenant network, and gives it back.
/// </summary>
public interface ITypeDriver
{
    string NetworkType { get; }

    /// <summary>Refuses (400, InvalidInput) a provider segment this type cannot have.</summary>
    void Validate(Segment requested);

    /// <summary>
    /// Takes the segment an admin asked for, filling in what was left out (a vlan on a physical
    /// network without an id gets a free id of that network's range). A segment in use is a 409.
    /// </summary>
    Task<Segment> ReserveProviderSegmentAsync(DbTransaction tx, Segment requested, string networkId);

    /// <summary>A free segment for a tenant network, or null when this type has none left.</summary>
    Task<Segment?> AllocateTenantSegmentAsync(DbTransaction tx, string networkId);

    Task ReleaseSegmentAsync(DbTransaction tx, Segment segment);

    /// <summary>The MTU of a network of this type on an underlay of <paramref name="underlayMtu"/>.</summary>
    int Mtu(int underlayMtu);
}
