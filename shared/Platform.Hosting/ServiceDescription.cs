namespace Platform.Hosting;

/// <summary>The error-body shape of the OpenStack project a service speaks for.</summary>
public enum ApiFlavor
{
    /// <summary>No public API (agents, conductor): plain JSON errors on the health port.</summary>
    None,
    Keystone,
    Nova,
    Neutron,
    Glance,
    Cinder,
    Placement,
}

/// <summary>What the defaults need to know about the deployable they wire.</summary>
/// <param name="Name">Short service name, used in logs, traces and the default config file name.</param>
/// <param name="DefaultPort">The listening port when <c>api:listen</c> is not configured.</param>
/// <param name="Flavor">Whose error shapes and request-id headers the API speaks.</param>
public sealed record ServiceDescription(string Name, int DefaultPort, ApiFlavor Flavor);
