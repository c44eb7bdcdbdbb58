using Platform.TestSupport;

namespace ComputeAgent.Tests;

/// <summary>The agent refuses to start with a virt driver it does not have.</summary>
public sealed class DriverSelectionTests
{
    [Fact]
    public void An_unknown_compute_driver_stops_the_agent_at_start_with_a_clear_message()
    {
        using var factory = new ServiceFactory<Program>("Server=127.0.0.1;Database=unused", "rabbit://guest:guest@127.0.0.1:9/none",
            new Dictionary<string, string?> { ["compute:driver"] = "hyperv" });
        var e = Record.Exception(() => factory.Services);
        Assert.NotNull(e);
        Assert.Contains("'hyperv' is not a known virt driver", e.ToString());
    }
}
