using ComputeAgent.Virt.Fake;

namespace ComputeAgent.Virt;

/// <summary>Picks the driver named by <c>compute:driver</c> (nova's compute_driver).</summary>
public static class VirtDrivers
{
    public const string ConfigKey = "compute:driver";
    public const string Fake = "fake";

    private static readonly string[] known = [Fake];

    /// <summary>The configured driver's name; an unknown one stops the agent at start-up.</summary>
    public static string Configured(IConfiguration configuration)
    {
        var name = (configuration[ConfigKey] ?? Fake).Trim().ToLowerInvariant();
        if (!known.Contains(name))
            throw new InvalidOperationException(
                $"[compute] driver = '{configuration[ConfigKey]}' is not a known virt driver; known drivers: {string.Join(", ", known)}");
        return name;
    }

    /// <summary>A driver for one node.</summary>
    public static IVirtDriver Create(string name, string nodeName, IConfiguration configuration, ILoggerFactory loggers) => name switch
    {
        Fake => new FakeDriver(nodeName, FakeDriverOptions.FromConfiguration(configuration), loggers.CreateLogger<FakeDriver>()),
        _ => throw new InvalidOperationException($"unknown virt driver '{name}'"),
    };
}
