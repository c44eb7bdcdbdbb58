using System.Net;
using System.Security.Cryptography;
using Platform.TestSupport;

namespace Platform.Fleet.Tests;

/// <summary>
/// The whole fleet as separate processes, as `make run` starts it, but on free ports, in
/// databases and a virtual host of its own, so it never meets a running `make run`. Identity is
/// bootstrapped like `make run` does it: an admin, a demo user, a user per deployable, the catalog.
/// </summary>
public sealed class FleetFixture : IAsyncLifetime
{
    private readonly MySqlFixture mysql = new();
    private readonly RabbitMqFixture rabbit = new();
    private readonly string directory = Path.Combine(Path.GetTempPath(), $"platform-fleet-{Guid.NewGuid():N}");

    public List<FleetProcess> Processes { get; } = [];
    public Dictionary<string, string> Databases { get; } = [];
    public string ServerConnection => mysql.ServerConnection;
    public string AdminPassword { get; } = Secret();
    public string DemoPassword { get; } = Secret();
    public FleetProcess Identity => Processes.Single(p => p.Deployable.Name == "identity");
    public string AuthUrl => $"http://127.0.0.1:{Identity.Port}/v3";

    private static string Secret() => Convert.ToHexString(RandomNumberGenerator.GetBytes(12)).ToLowerInvariant();

    public FleetProcess Get(string name) => Processes.Single(p => p.Deployable.Name == name);

    /// <summary>The scheduler's placement gRPC port in this fleet.</summary>
    public int PlacementGrpcPort { get; private set; }

    /// <summary>How many fake hypervisors the fleet's compute agent runs (fleet-test, fleet-test-2, ...).</summary>
    public const int FakeHostCount = 2;

    /// <summary>Where the image service keeps image data in this fleet.</summary>
    public string ImageStoreDirectory => Path.Combine(directory, "images");

    /// <summary>Where the volume service's file backend keeps volumes (volume-&lt;id&gt;).</summary>
    public string VolumesDirectory => Path.Combine(directory, "volumes");

    public async Task InitializeAsync()
    {
        await mysql.InitializeAsync();
        await rabbit.InitializeAsync();
        Directory.CreateDirectory(directory);
        var transport = await rabbit.NewVirtualHostAsync("fleet");

        foreach (var deployable in Deployable.All())
            Processes.Add(new FleetProcess(deployable, Deployable.FreePort(),
                Path.Combine(directory, deployable.Name + ".conf"), Path.Combine(directory, deployable.Name + ".log")));
        var passwords = Processes.ToDictionary(p => p.Deployable.Name, _ => Secret());
        PlacementGrpcPort = Deployable.FreePort();

        foreach (var process in Processes)
        {
            var deployable = process.Deployable;
            var lines = new List<string>
            {
                "host = fleet-test",
                "[api]",
                $"listen = http://127.0.0.1:{process.Port}",
                "[messaging]",
                $"transport_url = {transport}",
                "[keystone_authtoken]",
                $"auth_url = http://127.0.0.1:{Identity.Port}",
                $"username = {deployable.Name}",
                $"password = {passwords[deployable.Name]}",
                "region_name = RegionOne",
            };
            if (deployable.Database is { } db)
            {
                var connection = mysql.NewDatabase("fleet_" + db);
                Databases[deployable.Name] = connection;
                lines.AddRange(["[database]", $"connection = {connection}"]);
            }
            if (deployable.Name == "identity")
                lines.AddRange(["[token]", $"key_repository = {Path.Combine(directory, "identity-keys")}", "[security_compliance]", "lockout_failure_attempts = 3", "lockout_duration = 30"]);
            if (deployable.Name == "image")
                lines.AddRange(["[glance_store]", $"filesystem_store_datadir = {ImageStoreDirectory}"]);
            if (deployable.Name == "volume")
                lines.AddRange(["[file]", "volume_driver = file", $"volumes_dir = {VolumesDirectory}"]);
            // The scheduler serves placement over gRPC on a port of its own; its callers find it there.
            if (deployable.Name == "scheduler")
                lines.AddRange(["[placement]", $"grpc_listen = http://127.0.0.1:{PlacementGrpcPort}"]);
            if (deployable.Name is "compute-api" or "conductor" or "compute-agent")
                lines.AddRange(["[placement]", $"grpc_url = http://127.0.0.1:{PlacementGrpcPort}"]);
            // Two fake hypervisors, fleet-test and fleet-test-2, as the compute issue's checks ask.
            if (deployable.Name == "compute-agent")
                lines.AddRange(["[compute]", "driver = fake", "[fake]", $"host_count = {FakeHostCount}"]);
            await File.WriteAllLinesAsync(process.ConfigFile, lines);
        }

        // Every database is synced first, as `make run` and the chart's Jobs do.
        var syncs = await Task.WhenAll(Processes.Where(p => p.Deployable.Database is not null)
            .Select(async p => (p, code: await p.RunCommandAsync("db", "sync"))));
        foreach (var (p, code) in syncs)
            if (code != 0) throw new InvalidOperationException($"db sync of {p.Deployable.Name} exited {code}:\n{p.LogTail()}");

        await BootstrapIdentityAsync(passwords);

        // Identity first: the others check it in their readiness.
        Identity.StartServer();
        await WaitReadyAsync(Identity);
        foreach (var p in Processes.Where(p => p != Identity)) p.StartServer();
        foreach (var p in Processes.Where(p => p != Identity)) await WaitReadyAsync(p);
    }

    private async Task BootstrapIdentityAsync(Dictionary<string, string> passwords)
    {
        var file = Path.Combine(directory, "bootstrap.conf");
        var lines = new List<string>
        {
            "[bootstrap]", $"admin_password = {AdminPassword}", $"demo_password = {DemoPassword}", "region = RegionOne",
            "[bootstrap:service_users]",
        };
        lines.AddRange(passwords.Select(p => $"{p.Key} = {p.Value}"));
        void Catalog(string type, string name, string deployable, string path) =>
            lines.AddRange([$"[bootstrap:catalog:{type}]", $"name = {name}", $"url = http://127.0.0.1:{Get(deployable).Port}{path}"]);
        Catalog("identity", "keystone", "identity", "/v3");
        Catalog("compute", "nova", "compute-api", "/v2.1");
        Catalog("placement", "placement", "scheduler", "");
        Catalog("network", "neutron", "network-server", "");
        Catalog("image", "glance", "image", "");
        Catalog("volumev3", "cinderv3", "volume", "/v3");
        Catalog("block-storage", "cinder", "volume", "/v3");
        await File.WriteAllLinesAsync(file, lines);
        if (await Identity.RunCommandAsync("keys", "setup") is var keys and not 0)
            throw new InvalidOperationException($"keys setup exited {keys}:\n{Identity.LogTail()}");
        if (await Identity.RunCommandAsync("bootstrap", "--config-file", file) is var code and not 0)
            throw new InvalidOperationException($"bootstrap exited {code}:\n{Identity.LogTail()}");
    }

    private static async Task WaitReadyAsync(FleetProcess p)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var ready = await Eventually.TrueAsync(async () =>
        {
            if (p.Process!.HasExited) return true;
            try { return (await http.GetAsync(new Uri(p.BaseUri, "/readyz"))).StatusCode == HttpStatusCode.OK; }
            catch (HttpRequestException) { return false; }
            catch (TaskCanceledException) { return false; }
        }, TimeSpan.FromSeconds(120), TimeSpan.FromMilliseconds(250));
        if (!ready || p.Process!.HasExited)
            throw new InvalidOperationException($"{p.Deployable.Name} did not become ready:\n{p.LogTail()}");
    }

    /// <summary>The environment of an openrc for <paramref name="user"/> in <paramref name="project"/>.</summary>
    public Dictionary<string, string> OpenRc(string user = "admin", string project = "admin", string? password = null) => new()
    {
        ["OS_AUTH_URL"] = AuthUrl,
        ["OS_USERNAME"] = user,
        ["OS_PASSWORD"] = password ?? (user == "demo" ? DemoPassword : AdminPassword),
        ["OS_PROJECT_NAME"] = project,
        ["OS_USER_DOMAIN_NAME"] = "Default",
        ["OS_PROJECT_DOMAIN_NAME"] = "Default",
        ["OS_IDENTITY_API_VERSION"] = "3",
        ["OS_REGION_NAME"] = "RegionOne",
        ["OS_INTERFACE"] = "public",
    };

    public async Task DisposeAsync()
    {
        await Task.WhenAll(Processes.Select(p => p.TerminateAsync(TimeSpan.FromSeconds(20))));
        await rabbit.DisposeAsync();
        await mysql.DisposeAsync();
        try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
    }
}

/// <summary>One fleet for every test class that needs it: starting a fleet costs seconds.</summary>
[CollectionDefinition(Name)]
public sealed class FleetCollection : ICollectionFixture<FleetFixture>
{
    public const string Name = "fleet";
}
