using System.Data.Common;
using NetworkServer.Db;

namespace NetworkServer.Ml2.MechanismDrivers;

/// <summary>What a mechanism driver decided for a port on a host: its vif type and details.</summary>
public sealed record Binding(string VifType, IReadOnlyDictionary<string, object?> VifDetails);

/// <summary>
/// One way of wiring ports to hosts, as neutron's ML2 mechanism drivers: given the port's
/// network segment and the host, it binds (vif type and details) or declines (null).
/// </summary>
public interface IMechanismDriver
{
    string Name { get; }

    Task<Binding?> TryBindAsync(DbTransaction tx, Port port, Network network, string host);
}

/// <summary>The vif types neutron shows when no driver bound a port.</summary>
public static class VifTypes
{
    public const string Unbound = "unbound";
    public const string BindingFailed = "binding_failed";
    public const string Ovs = "ovs";
}
