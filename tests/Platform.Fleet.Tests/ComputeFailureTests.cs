using System.Net;
using System.Text.Json;
using Platform.TestSupport;
using static Platform.Fleet.Tests.OpenStackCli;

namespace Platform.Fleet.Tests;

/// <summary>
/// Builds that fail: a host whose hypervisor fails a spawn gives the server to another host
/// (reschedule), a zone whose only host fails ends in ERROR with a fault, and a conductor killed
/// during a boot storm loses no request.
/// </summary>
[Collection(FleetCollection.Name)]
public sealed class ComputeFailureTests(FleetFixture fleet)
{
    private Dictionary<string, string> Admin => fleet.OpenRc();

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    private static Dictionary<string, string> At(Dictionary<string, string> env, string version) =>
        new(env) { ["OS_COMPUTE_API_VERSION"] = version };

    /// <summary>A compute agent of its own beside the fleet's, as <paramref name="host"/>, with extra options.</summary>
    private async Task<FleetProcess> StartComputeAgentAsync(string host, params string[] options)
    {
        var original = fleet.Get("compute-agent");
        var port = Deployable.FreePort();
        var text = (await File.ReadAllTextAsync(original.ConfigFile))
            .Replace($":{original.Port}", $":{port}", StringComparison.Ordinal)
            .Replace("host = fleet-test", $"host = {host}", StringComparison.Ordinal)
            .Replace($"host_count = {FleetFixture.FakeHostCount}", "host_count = 1", StringComparison.Ordinal);
        var config = $"{original.ConfigFile}.{host}";
        await File.WriteAllTextAsync(config, text + "\n" + string.Join('\n', options) + "\n");
        var agent = new FleetProcess(original.Deployable, port, config, $"{original.LogFile}.{host}");
        agent.StartServer();
        using var http = new HttpClient();
        Assert.True(await Eventually.TrueAsync(async () =>
        {
            try { return (await http.GetAsync(new Uri(agent.BaseUri, "/readyz"))).StatusCode == HttpStatusCode.OK; }
            catch (HttpRequestException) { return false; }
        }, TimeSpan.FromSeconds(60)), agent.LogTail());
        // Scheduling needs the host in placement and its service up.
        Assert.True(await Eventually.TrueAsync(async () =>
            (await JsonAsync(Admin, "hypervisor", "list")).EnumerateArray().Any(h => h.GetProperty("Hypervisor Hostname").GetString() == host),
            TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(1)), agent.LogTail());
        return agent;
    }

    private async Task RetireAsync(FleetProcess agent, string host)
    {
        // Disabled first, so nothing is scheduled to it while its service still looks up.
        (await RunAsync(Admin, "compute", "service", "set", "--disable", host, "nova-compute")).Ok();
        await agent.TerminateAsync(TimeSpan.FromSeconds(20));
    }

    private async Task<string> FlavorAsync()
    {
        var name = Unique("m1.tiny");
        await JsonAsync(Admin, "flavor", "create", "--vcpus", "1", "--ram", "512", "--disk", "1", name);
        return name;
    }

    private async Task<string> ImageAsync()
    {
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(file, new byte[4096]);
            var name = Unique("img");
            await JsonAsync(Admin, "image", "create", "--public", "--file", file, "--disk-format", "raw", "--container-format", "bare", name);
            return name;
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static async Task<JsonElement> WaitSettledAsync(Dictionary<string, string> env, string server)
    {
        JsonElement shown = default;
        Assert.True(await Eventually.TrueAsync(async () =>
        {
            shown = await JsonAsync(env, "server", "show", server);
            return shown.GetProperty("status").GetString() is "ACTIVE" or "ERROR";
        }, TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(1)), $"{server} stayed in {shown}");
        return shown;
    }

    /// <summary>What the conductor and the agent logged of each server not settled, for a failure's message.</summary>
    private async Task<string> TraceStuckAsync(JsonElement servers)
    {
        if (servers.ValueKind != JsonValueKind.Array) return "";
        var stuck = servers.EnumerateArray().Where(s => s.GetProperty("Status").GetString() is not ("ACTIVE" or "ERROR"))
            .Select(s => s.GetProperty("ID").GetString()!).ToList();
        var logs = new List<string>();
        foreach (var name in new[] { "conductor", "compute-agent" })
        {
            var file = fleet.Get(name).LogFile;
            var lines = File.Exists(file) ? await File.ReadAllLinesAsync(file) : [];
            foreach (var id in stuck)
                logs.AddRange(lines.Where(l => l.Contains(id, StringComparison.Ordinal)).TakeLast(15).Select(l => $"{name}: {l}"));
        }
        return string.Join('\n', logs);
    }

    [Fact]
    public async Task A_failing_hypervisor_gives_the_server_to_another_and_a_zone_of_only_failing_ones_ends_in_error()
    {
        var flavor = await FlavorAsync();
        var image = await ImageAsync();
        // The failing host has far more free memory, so the RAM weigher tries it first.
        var bad = await StartComputeAgentAsync("fleet-bad", "[fake]", "fail_spawn_all = true", "memory_mb = 1048576");
        var good = await StartComputeAgentAsync("fleet-good");
        var both = Unique("agg-fi");
        var onlyBad = Unique("agg-bad");
        try
        {
            await JsonAsync(Admin, "aggregate", "create", "--zone", "azfi", both);
            (await RunAsync(Admin, "aggregate", "add", "host", both, "fleet-bad")).Ok();
            (await RunAsync(Admin, "aggregate", "add", "host", both, "fleet-good")).Ok();

            var admin = At(Admin, "2.37");
            var name = Unique("fi1");
            (await RunAsync(admin, "server", "create", "--flavor", flavor, "--image", image, "--nic", "none", "--availability-zone", "azfi", name)).Ok();
            var server = await WaitSettledAsync(Admin, name);
            Assert.Equal("ACTIVE", server.GetProperty("status").GetString());
            Assert.Equal("fleet-good", server.GetProperty("OS-EXT-SRV-ATTR:host").GetString());
            // It was tried on the failing host first.
            Assert.Contains(server.GetProperty("id").GetString()!, await File.ReadAllTextAsync(bad.LogFile));

            (await RunAsync(Admin, "aggregate", "remove", "host", both, "fleet-bad")).Ok();
            await JsonAsync(Admin, "aggregate", "create", "--zone", "azbad", onlyBad);
            (await RunAsync(Admin, "aggregate", "add", "host", onlyBad, "fleet-bad")).Ok();
            var doomed = Unique("fi2");
            (await RunAsync(admin, "server", "create", "--flavor", flavor, "--image", image, "--nic", "none", "--availability-zone", "azbad", doomed)).Ok();
            var failed = await WaitSettledAsync(Admin, doomed);
            Assert.Equal("ERROR", failed.GetProperty("status").GetString());
            Assert.Contains("No valid host", failed.GetProperty("fault").ToString());

            foreach (var s in new[] { name, doomed }) (await RunAsync(Admin, "server", "delete", "--wait", s)).Ok();
        }
        finally
        {
            await RetireAsync(bad, "fleet-bad");
            await RetireAsync(good, "fleet-good");
            await RunAsync(Admin, "aggregate", "remove", "host", both, "fleet-good");
            await RunAsync(Admin, "aggregate", "remove", "host", both, "fleet-bad");
            await RunAsync(Admin, "aggregate", "remove", "host", onlyBad, "fleet-bad");
            await RunAsync(Admin, "aggregate", "delete", both);
            await RunAsync(Admin, "aggregate", "delete", onlyBad);
        }
    }

    [Fact]
    public async Task Killing_the_conductor_during_a_boot_storm_loses_no_request()
    {
        var flavor = await FlavorAsync();
        var image = await ImageAsync();
        (await RunAsync(Admin, "quota", "set", "--instances", "100", "--cores", "200", "--ram", "204800", "admin")).Ok();
        var prefix = Unique("storm");
        const int count = 20;
        var admin = At(Admin, "2.37");
        (await RunAsync(admin, "server", "create", "--flavor", flavor, "--image", image, "--nic", "none", "--min", $"{count}", "--max", $"{count}", prefix)).Ok();

        // Killed hard, with builds in flight, then started again as an operator would.
        var conductor = fleet.Get("conductor");
        conductor.Process!.Kill(entireProcessTree: true);
        await conductor.Process.WaitForExitAsync();
        conductor.StartServer();
        using (var http = new HttpClient())
        {
            Assert.True(await Eventually.TrueAsync(async () =>
            {
                try { return (await http.GetAsync(new Uri(conductor.BaseUri, "/readyz"))).StatusCode == HttpStatusCode.OK; }
                catch (HttpRequestException) { return false; }
            }, TimeSpan.FromSeconds(60)), conductor.LogTail());
        }

        JsonElement servers = default;
        Assert.True(await Eventually.TrueAsync(async () =>
        {
            servers = await JsonAsync(Admin, "server", "list", "--name", prefix);
            return servers.GetArrayLength() == count
                && servers.EnumerateArray().All(s => s.GetProperty("Status").GetString() is "ACTIVE" or "ERROR");
        }, TimeSpan.FromSeconds(180), TimeSpan.FromSeconds(2)), $"servers still building: {servers}\n{await TraceStuckAsync(servers)}");
        Assert.All(servers.EnumerateArray(), s => Assert.Equal("ACTIVE", s.GetProperty("Status").GetString()));

        (await RunAsync(Admin, ["server", "delete", "--wait", .. servers.EnumerateArray().Select(s => s.GetProperty("ID").GetString()!)])).Ok();
    }
}
