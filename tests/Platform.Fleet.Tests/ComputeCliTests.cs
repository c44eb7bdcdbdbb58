using System.Text.Json;
using Platform.TestSupport;
using static Platform.Fleet.Tests.OpenStackCli;

namespace Platform.Fleet.Tests;

/// <summary>
/// Compute through the real `openstack` client: a server's whole life on the fleet's two fake
/// hypervisors, a server group's policy, and what an operator looks at and changes.
/// </summary>
[Collection(FleetCollection.Name)]
public sealed class ComputeCliTests(FleetFixture fleet)
{
    private static readonly TimeSpan StateDeadline = TimeSpan.FromSeconds(90);

    private Dictionary<string, string> Admin => fleet.OpenRc();
    private Dictionary<string, string> Demo => fleet.OpenRc("demo", "demo", fleet.DemoPassword);

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    /// <summary>The same environment asking for microversion <paramref name="version"/>.</summary>
    private static Dictionary<string, string> At(Dictionary<string, string> env, string version) =>
        new(env) { ["OS_COMPUTE_API_VERSION"] = version };

    private async Task<string> FlavorAsync()
    {
        var name = Unique("m1.tiny");
        var flavor = await JsonAsync(Admin, "flavor", "create", "--vcpus", "1", "--ram", "512", "--disk", "1", name);
        Assert.Equal(1, flavor.GetProperty("vcpus").GetInt32());
        Assert.Equal(512, flavor.GetProperty("ram").GetInt32());
        Assert.Equal(1, flavor.GetProperty("disk").GetInt32());
        return name;
    }

    private async Task<string> ImageAsync()
    {
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(file, System.Security.Cryptography.RandomNumberGenerator.GetBytes(64 * 1024));
            var name = Unique("img1");
            await JsonAsync(Admin, "image", "create", "--public", "--file", file, "--disk-format", "qcow2", "--container-format", "bare", name);
            Assert.Equal("active", (await JsonAsync(Admin, "image", "show", name)).GetProperty("status").GetString());
            return name;
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static async Task<JsonElement> WaitStatusAsync(Dictionary<string, string> env, string server, string status)
    {
        JsonElement shown = default;
        var reached = await Eventually.TrueAsync(async () =>
        {
            shown = await JsonAsync(env, "server", "show", server);
            return shown.GetProperty("status").GetString() == status;
        }, StateDeadline, TimeSpan.FromMilliseconds(500));
        Assert.True(reached, $"{server} did not reach {status}: {shown}");
        return shown;
    }

    [Fact]
    public async Task A_project_boots_a_server_on_its_network_and_drives_its_lifecycle()
    {
        var flavor = await FlavorAsync();
        var image = await ImageAsync();
        var key = Unique("k1");
        var keypair = await RunAsync(Demo, "keypair", "create", key);
        Assert.Contains("PRIVATE KEY", keypair.Ok().StdOut);

        var netName = Unique("net1");
        await JsonAsync(Demo, "network", "create", netName);
        await JsonAsync(Demo, "subnet", "create", "--network", netName, "--subnet-range", "10.20.0.0/24", Unique("sub1"));

        var vm = Unique("vm1");
        var created = await JsonAsync(Demo, "server", "create", "--flavor", flavor, "--image", image, "--network", netName, "--key-name", key, "--wait", vm);
        Assert.Equal("ACTIVE", created.GetProperty("status").GetString());
        var id = created.GetProperty("id").GetString()!;
        var addresses = created.GetProperty("addresses");
        Assert.StartsWith("10.20.0.", addresses.GetProperty(netName)[0].GetString());
        Assert.Equal(key, created.GetProperty("key_name").GetString());

        // The server's port is bound to the host it runs on (both seen by the admin).
        var asAdmin = await JsonAsync(Admin, "server", "show", id);
        var host = asAdmin.GetProperty("OS-EXT-SRV-ATTR:host").GetString();
        Assert.StartsWith("fleet-test", host);
        var ports = await JsonAsync(Admin, "port", "list", "--device-id", id);
        var portId = Assert.Single(ports.EnumerateArray()).GetProperty("ID").GetString()!;
        var port = await JsonAsync(Admin, "port", "show", portId);
        Assert.Equal(host, port.GetProperty("binding_host_id").GetString());
        Assert.Equal($"compute:nova", port.GetProperty("device_owner").GetString());

        var list = await JsonAsync(Demo, "server", "list");
        Assert.Contains(list.EnumerateArray(), s => s.GetProperty("ID").GetString() == id && s.GetProperty("Status").GetString() == "ACTIVE");

        (await RunAsync(Demo, "server", "stop", vm)).Ok();
        await WaitStatusAsync(Demo, vm, "SHUTOFF");
        (await RunAsync(Demo, "server", "start", vm)).Ok();
        await WaitStatusAsync(Demo, vm, "ACTIVE");
        (await RunAsync(Demo, "server", "reboot", "--wait", vm)).Ok();
        await WaitStatusAsync(Demo, vm, "ACTIVE");
        (await RunAsync(Demo, "server", "pause", vm)).Ok();
        await WaitStatusAsync(Demo, vm, "PAUSED");
        (await RunAsync(Demo, "server", "unpause", vm)).Ok();
        await WaitStatusAsync(Demo, vm, "ACTIVE");
        (await RunAsync(Demo, "server", "suspend", vm)).Ok();
        await WaitStatusAsync(Demo, vm, "SUSPENDED");
        (await RunAsync(Demo, "server", "resume", vm)).Ok();
        await WaitStatusAsync(Demo, vm, "ACTIVE");
        (await RunAsync(Demo, "server", "rebuild", "--image", image, "--wait", vm)).Ok();
        await WaitStatusAsync(Demo, vm, "ACTIVE");

        var console = (await RunAsync(Demo, "console", "log", "show", vm)).Ok().StdOut;
        Assert.Contains(id, console);

        var events = await JsonAsync(Demo, "server", "event", "list", vm);
        var actions = events.EnumerateArray().Select(e => e.GetProperty("Action").GetString()).ToHashSet();
        Assert.Superset(new HashSet<string?> { "create", "stop", "start", "reboot", "pause", "unpause", "suspend", "resume", "rebuild" }, actions);

        (await RunAsync(Demo, "server", "delete", "--wait", vm)).Ok();
        Assert.NotEqual(0, (await RunAsync(Demo, "server", "show", id)).ExitCode);
        // Its port went with it.
        Assert.Empty((await JsonAsync(Admin, "port", "list", "--device-id", id)).EnumerateArray());
    }

    [Fact]
    public async Task An_anti_affinity_group_spreads_its_servers_and_refuses_a_third()
    {
        var flavor = await FlavorAsync();
        var image = await ImageAsync();
        // --nic none needs 2.37; the group's policy field is the 2.64 form.
        var demo = At(Demo, "2.64");
        var group = await JsonAsync(demo, "server", "group", "create", "--policy", "anti-affinity", Unique("g1"));
        var groupId = group.GetProperty("id").GetString()!;

        var hosts = new List<string?>();
        foreach (var name in new[] { Unique("a1"), Unique("a2") })
        {
            var server = await JsonAsync(demo, "server", "create", "--flavor", flavor, "--image", image, "--nic", "none", "--hint", $"group={groupId}", "--wait", name);
            Assert.Equal("ACTIVE", server.GetProperty("status").GetString());
            hosts.Add((await JsonAsync(Admin, "server", "show", server.GetProperty("id").GetString()!)).GetProperty("OS-EXT-SRV-ATTR:host").GetString());
        }
        Assert.Equal(2, hosts.Distinct().Count());

        var third = Unique("a3");
        var failed = await RunAsync(demo, "server", "create", "--flavor", flavor, "--image", image, "--nic", "none", "--hint", $"group={groupId}", "--wait", third);
        // This client reports a failed --wait on its output (and still exits 0).
        Assert.Contains("Error creating server", failed.StdOut + failed.StdErr);
        var shown = await WaitStatusAsync(Demo, third, "ERROR");
        Assert.Contains("No valid host", shown.GetProperty("fault").ToString());

        foreach (var name in (await JsonAsync(demo, "server", "list")).EnumerateArray().Select(s => s.GetProperty("Name").GetString()!).Where(n => n.StartsWith('a')))
            (await RunAsync(demo, "server", "delete", "--wait", name)).Ok();
        (await RunAsync(demo, "server", "group", "delete", groupId)).Ok();
    }

    [Fact]
    public async Task An_operator_sees_hypervisors_services_zones_quotas_and_limits()
    {
        var hypervisors = await JsonAsync(Admin, "hypervisor", "list");
        var names = hypervisors.EnumerateArray().Select(h => h.GetProperty("Hypervisor Hostname").GetString()).ToHashSet();
        Assert.Superset(new HashSet<string?> { "fleet-test", "fleet-test-2" }, names);

        var stats = await JsonAsync(Admin, "hypervisor", "stats", "show");
        Assert.True(stats.GetProperty("count").GetInt32() >= FleetFixture.FakeHostCount);
        Assert.True(stats.GetProperty("vcpus").GetInt32() > 0);
        Assert.True(stats.GetProperty("memory_mb").GetInt32() > 0);

        var services = await JsonAsync(Admin, "compute", "service", "list");
        var computes = services.EnumerateArray().Where(s => s.GetProperty("Binary").GetString() == "nova-compute").ToList();
        Assert.Contains(computes, s => s.GetProperty("Host").GetString() == "fleet-test-2" && s.GetProperty("State").GetString() == "up");

        (await RunAsync(Admin, "compute", "service", "set", "--disable", "--disable-reason", "maintenance", "fleet-test-2", "nova-compute")).Ok();
        try
        {
            var disabled = (await JsonAsync(Admin, "compute", "service", "list", "--host", "fleet-test-2")).EnumerateArray()
                .Single(s => s.GetProperty("Binary").GetString() == "nova-compute");
            Assert.Equal("disabled", disabled.GetProperty("Status").GetString());
        }
        finally
        {
            (await RunAsync(Admin, "compute", "service", "set", "--enable", "fleet-test-2", "nova-compute")).Ok();
        }

        var aggregateName = Unique("agg");
        var aggregate = await JsonAsync(Admin, "aggregate", "create", "--zone", "az2", aggregateName);
        Assert.Equal("az2", aggregate.GetProperty("availability_zone").GetString());
        (await RunAsync(Admin, "aggregate", "add", "host", aggregateName, "fleet-test-2")).Ok();
        try
        {
            var zones = await JsonAsync(Admin, "availability", "zone", "list", "--compute");
            var zoneNames = zones.EnumerateArray().Select(z => z.GetProperty("Zone Name").GetString()).ToHashSet();
            Assert.Superset(new HashSet<string?> { "nova", "az2" }, zoneNames);
        }
        finally
        {
            (await RunAsync(Admin, "aggregate", "remove", "host", aggregateName, "fleet-test-2")).Ok();
            (await RunAsync(Admin, "aggregate", "delete", aggregateName)).Ok();
        }

        // `quota show` asks compute, volume and network for the project's limits and shows them together.
        var before = await JsonAsync(Admin, "quota", "show", "demo");
        Assert.True(before.GetProperty("instances").GetInt32() > 0, before.ToString());
        var volumes = before.GetProperty("volumes").GetInt32();
        Assert.True(volumes > 0, before.ToString());

        // `quota set` changes the volume service's limit (cinderclient's PUT with tenant_id in the body);
        // `limits show` asks compute and volume for the caller's own absolute limits.
        (await RunAsync(Admin, "quota", "set", "--volumes", "12", "demo")).Ok();
        try
        {
            Assert.Equal(12, (await JsonAsync(Admin, "quota", "show", "demo")).GetProperty("volumes").GetInt32());
            var limits = (await JsonAsync(Demo, "limits", "show", "--absolute")).EnumerateArray()
                .ToDictionary(l => l.GetProperty("Name").GetString()!, l => l.GetProperty("Value").GetInt32());
            Assert.True(limits.GetValueOrDefault("maxTotalInstances") > 0, string.Join(", ", limits));
            Assert.Equal(12, limits.GetValueOrDefault("maxTotalVolumes"));
            Assert.True(limits.TryGetValue("totalVolumesUsed", out var volumesUsed) && volumesUsed >= 0, string.Join(", ", limits));
        }
        finally
        {
            (await RunAsync(Admin, "quota", "set", "--volumes", volumes.ToString(System.Globalization.CultureInfo.InvariantCulture), "demo")).Ok();
        }
    }
}
