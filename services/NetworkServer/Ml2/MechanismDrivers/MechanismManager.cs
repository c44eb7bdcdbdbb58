using System.Data.Common;
using NetworkServer.Agents;
using NetworkServer.Db;

namespace NetworkServer.Ml2.MechanismDrivers;

/// <summary>
/// ML2's mechanism manager: the drivers <c>ml2:mechanism_drivers</c> names, asked in order to
/// bind a port; a port with a host that no driver binds is <c>binding_failed</c>.
/// </summary>
public sealed class MechanismManager(IReadOnlyList<IMechanismDriver> drivers)
{
    public async Task<Binding> BindAsync(DbTransaction tx, Port port, Network network)
    {
        if (port.BindingHostId.Length == 0) return new Binding(VifTypes.Unbound, new Dictionary<string, object?>());
        foreach (var driver in drivers)
            if (await driver.TryBindAsync(tx, port, network, port.BindingHostId) is { } binding) return binding;
        return new Binding(VifTypes.BindingFailed, new Dictionary<string, object?>());
    }

    public static MechanismManager FromConfiguration(IConfiguration configuration, AgentLiveness liveness)
    {
        var names = (configuration["ml2:mechanism_drivers"] is { Length: > 0 } text ? text : "openvswitch")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return new MechanismManager([.. names.Select(n => n switch
        {
            "openvswitch" => (IMechanismDriver)new OpenvswitchMechanismDriver(liveness),
            _ => throw new InvalidOperationException($"ml2:mechanism_drivers names '{n}', which is not a mechanism driver here (openvswitch)"),
        })]);
    }
}
