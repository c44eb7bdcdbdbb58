using System.Net;
using Platform.TestSupport;

namespace Platform.Fleet.Tests;

/// <summary>A deployable stops cleanly on SIGTERM, as `make stop` and Kubernetes ask it to.</summary>
[Collection(FleetCollection.Name)]
public sealed class ShutdownTests(FleetFixture fleet)
{
    [Fact]
    public async Task Sigterm_stops_a_service_promptly_and_leaves_no_process()
    {
        // A second conductor beside the fleet's, so the shared fleet is not disturbed.
        var original = fleet.Processes.Single(p => p.Deployable.Name == "conductor");
        var config = original.ConfigFile + ".second";
        var port = Deployable.FreePort();
        await File.WriteAllTextAsync(config, (await File.ReadAllTextAsync(original.ConfigFile)).Replace($":{original.Port}", $":{port}", StringComparison.Ordinal));
        var second = new FleetProcess(original.Deployable, port, config, original.LogFile + ".second");
        second.StartServer();
        using var http = new HttpClient();
        Assert.True(await Eventually.TrueAsync(async () =>
        {
            try { return (await http.GetAsync(new Uri(second.BaseUri, "/readyz"))).StatusCode == HttpStatusCode.OK; }
            catch (HttpRequestException) { return false; }
        }, TimeSpan.FromSeconds(60)), second.LogTail());

        Assert.True(await second.TerminateAsync(TimeSpan.FromSeconds(20)), "did not exit within 20 s of SIGTERM");
        Assert.Equal(0, second.Process!.ExitCode);
        Assert.False(Directory.Exists($"/proc/{second.Process.Id}"));
    }
}
