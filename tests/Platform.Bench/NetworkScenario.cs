using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using MySqlConnector;
using Dapper;
using static Platform.Bench.ServiceProcesses;

namespace Platform.Bench;

/// <summary>
/// The network server as a real process over HTTP: port creates (each with a fixed IP from IPAM
/// and a MAC) at 1, 8 and 32 concurrent clients, and network+subnet creates; then the database
/// is checked for any address or MAC given twice.
/// </summary>
public sealed class NetworkScenario : IScenario
{
    private const double PortAim = 300;
    private static readonly (int Clients, int Ports)[] PortRuns = [(1, 300), (8, 1500), (32, 3000)];
    private const int NetworkClients = 8;
    private const int Networks = 300;

    public string Name => "network";
    public string Description => "the network server as a process over HTTP: port creates with IP allocation at 1, 8 and 32 clients; network+subnet creates";

    public async Task<ScenarioResult> RunAsync()
    {
        var identityDll = ServiceDll("Identity");
        var networkDll = ServiceDll("NetworkServer");
        var identityDatabase = $"bench_identity_{Guid.NewGuid():N}"[..30];
        var networkDatabase = $"bench_network_{Guid.NewGuid():N}"[..30];
        var work = Directory.CreateTempSubdirectory("platform-bench-network-");
        var identityLog = Path.Combine(work.FullName, "identity.log");
        var networkLog = Path.Combine(work.FullName, "network-server.log");
        Process? identity = null;
        Process? network = null;
        try
        {
            await CreateDatabaseAsync(identityDatabase);
            await CreateDatabaseAsync(networkDatabase);
            var identityPort = FreePort();
            var adminPassword = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
            var identityWork = Directory.CreateDirectory(Path.Combine(work.FullName, "identity")).FullName;
            identity = await IdentityScenario.StartAsync(identityDll, identityWork, identityDatabase, identityPort, adminPassword, identityLog);
            using var identityHttp = LoopbackClient(identityPort);
            await WaitReadyAsync("identity", identityHttp, identity, identityLog);

            var port = FreePort();
            var config = WriteConfig(work.FullName, networkDatabase, port, identityPort);
            await RunCommandAsync("network-server", networkDll, ["db", "sync", "--config-file", config]);
            network = StartServer("network-server", networkDll, config, networkLog);
            using var http = LoopbackClient(port);
            await WaitReadyAsync("network-server", http, network, networkLog);
            http.DefaultRequestHeaders.Add("X-Auth-Token", await IdentityScenario.IssueAsync(identityHttp, IdentityScenario.AdminPasswordBody(adminPassword)));
            return await MeasureAsync(http, networkDatabase);
        }
        catch
        {
            PrintLogTail("identity", identityLog);
            PrintLogTail("network-server", networkLog);
            throw;
        }
        finally
        {
            if (network is not null) await StopAsync("network-server", network);
            if (identity is not null) await StopAsync("identity", identity);
            await DropDatabaseAsync(networkDatabase);
            await DropDatabaseAsync(identityDatabase);
            try { work.Delete(recursive: true); }
            catch (IOException e) { Console.Error.WriteLine($"  could not remove {work.FullName}: {e.Message}"); }
        }
    }


    private static async Task<string> CreateAsync(HttpClient http, string path, string json)
    {
        using var response = await http.PostAsync(path, JsonBody(json));
        var body = await Expect(response, HttpStatusCode.Created);
        using var doc = System.Text.Json.JsonDocument.Parse(body);
        return doc.RootElement.EnumerateObject().First().Value.GetProperty("id").GetString()!;
    }

    private static async Task<LatencyStats> RunAsync(int clients, int total, Func<int, Task> one)
    {
        var next = -1;
        var latencies = new List<double>[clients];
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
        {
            latencies[c] = [];
            int i;
            while ((i = Interlocked.Increment(ref next)) < total)
            {
                var start = Stopwatch.GetTimestamp();
                await one(i);
                latencies[c].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        }));
        return LatencyStats.From([.. latencies.SelectMany(l => l)], clock.Elapsed.TotalSeconds);
    }

    private static async Task<ScenarioResult> MeasureAsync(HttpClient http, string database)
    {
        var measurements = new List<Measurement>();
        // Bench load is not a tenant's: no quota stands in its way.
        using (var quota = await http.PutAsync("/v2.0/quotas/" + await ProjectIdAsync(http), JsonBody("""{"quota": {"network": -1, "subnet": -1, "port": -1}}""")))
            await Expect(quota, HttpStatusCode.OK);
        var net = await CreateAsync(http, "/v2.0/networks", """{"network": {"name": "bench-ports"}}""");
        await CreateAsync(http, "/v2.0/subnets", $$$"""{"subnet": {"network_id": "{{{net}}}", "ip_version": 4, "cidr": "10.64.0.0/16"}}""");
        var portBody = $$$"""{"port": {"network_id": "{{{net}}}"}}""";
        // Warm-up: JIT, connection pools, the default security group.
        await RunAsync(8, 100, _ => CreateAsync(http, "/v2.0/ports", portBody));

        foreach (var (clients, count) in PortRuns)
        {
            var stats = await RunAsync(clients, count, _ => CreateAsync(http, "/v2.0/ports", portBody));
            Console.WriteLine($"  port create, {clients,2} clients      {stats}");
            measurements.Add(new Measurement($"port_create_{clients}_clients", "per_second", stats.PerSecond));
            measurements.Add(new Measurement($"port_create_{clients}_clients_p50", "ms", stats.P50Ms));
            measurements.Add(new Measurement($"port_create_{clients}_clients_p99", "ms", stats.P99Ms));
            if (clients == 32)
                Console.WriteLine($"  aim: > {PortAim:F0} port creates/s at 32 clients: {(stats.PerSecond > PortAim ? "met" : "NOT met")}");
        }

        await using (var c = new MySqlConnection(new MySqlConnectionStringBuilder(MySql) { Database = database }.ConnectionString))
        {
            var (ports, ips, distinctIps, distinctMacs) = await c.QuerySingleAsync<(long, long, long, long)>("""
                SELECT (SELECT COUNT(*) FROM ports), (SELECT COUNT(*) FROM ipallocations),
                       (SELECT COUNT(DISTINCT subnet_id, ip_address) FROM ipallocations), (SELECT COUNT(DISTINCT network_id, mac_address) FROM ports)
                """);
            var duplicates = (ips - distinctIps) + (ports - distinctMacs);
            Console.WriteLine($"  {ports} ports, {ips} addresses: {ips - distinctIps} duplicate addresses, {ports - distinctMacs} duplicate MACs");
            measurements.Add(new Measurement("port_duplicate_ips_or_macs", "count", duplicates));
        }

        var networks = await RunAsync(NetworkClients, Networks, async i =>
        {
            var id = await CreateAsync(http, "/v2.0/networks", $$$"""{"network": {"name": "bench-{{{i}}}"}}""");
            await CreateAsync(http, "/v2.0/subnets", $$$"""{"subnet": {"network_id": "{{{id}}}", "ip_version": 4, "cidr": "10.{{{i / 256 % 256}}}.{{{i % 256}}}.0/24"}}""");
        });
        Console.WriteLine($"  network+subnet, {NetworkClients} clients   {networks}");
        measurements.Add(new Measurement($"network_subnet_create_{NetworkClients}_clients", "per_second", networks.PerSecond));
        measurements.Add(new Measurement($"network_subnet_create_{NetworkClients}_clients_p50", "ms", networks.P50Ms));
        measurements.Add(new Measurement($"network_subnet_create_{NetworkClients}_clients_p99", "ms", networks.P99Ms));
        return new ScenarioResult("network", measurements);
    }

    private static async Task<string> ProjectIdAsync(HttpClient http)
    {
        // The admin's project is the owner of anything it makes.
        var id = await CreateAsync(http, "/v2.0/security-groups", """{"security_group": {"name": "bench-probe"}}""");
        using var response = await http.GetAsync($"/v2.0/security-groups/{id}");
        using var doc = System.Text.Json.JsonDocument.Parse(await Expect(response, HttpStatusCode.OK));
        return doc.RootElement.GetProperty("security_group").GetProperty("project_id").GetString()!;
    }

    private static string WriteConfig(string dir, string database, int port, int identityPort)
    {
        var connection = new MySqlConnectionStringBuilder(MySql) { Database = database }.ConnectionString;
        var path = Path.Combine(dir, "network-server.conf");
        var text = new StringBuilder()
            .AppendLine("host = bench-network")
            .AppendLine().AppendLine("[api]").AppendLine($"listen = http://127.0.0.1:{port}")
            .AppendLine().AppendLine("[database]").AppendLine($"connection = {connection}")
            .AppendLine().AppendLine("[messaging]").AppendLine($"transport_url = {BrokerUrl}")
            .AppendLine().AppendLine("[keystone_authtoken]").AppendLine($"auth_url = http://127.0.0.1:{identityPort}");
        File.WriteAllText(path, text.ToString());
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }
}
