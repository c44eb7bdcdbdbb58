using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MySqlConnector;
using static Platform.Bench.ServiceProcesses;

namespace Platform.Bench;

/// <summary>
/// A boot storm through the public compute API: identity, image, scheduler, conductor, the compute
/// API and one compute agent running 100 fake hypervisors, each its own process over a real
/// MariaDB and RabbitMQ. N servers (100, then 1000) are created by many concurrent clients; each
/// client polls its server until ACTIVE. Printed: servers per second from the first request to the
/// last ACTIVE, and p50/p99 from create to ACTIVE.
/// </summary>
public sealed class ComputeScenario : IScenario
{
    private const int FakeHosts = 100;
    private const int IdleServers = 20;
    // BENCH_COMPUTE_CLIENTS and BENCH_COMPUTE_STORMS (comma-separated) change the defaults for a study.
    private static readonly int Clients = int.TryParse(Environment.GetEnvironmentVariable("BENCH_COMPUTE_CLIENTS"), out var c) && c > 0 ? c : 32;
    private static readonly int[] Storms = Environment.GetEnvironmentVariable("BENCH_COMPUTE_STORMS") is { Length: > 0 } storms
        ? [.. storms.Split(',').Select(int.Parse)] : [100, 1000];
    private const double P50AimMs = 100;
    private const double ThousandAimSeconds = 30;
    private static readonly TimeSpan ServerDeadline = TimeSpan.FromSeconds(120);

    public string Name => "compute";
    public string Description => $"boot storm through the compute API: {string.Join(" and ", Storms)} servers on {FakeHosts} fake hosts, {Clients} clients";

    private sealed record Part(string Name, string Dll, string? Database, int Port)
    {
        public string Log(string dir) => Path.Combine(dir, Name + ".log");
    }

    public async Task<ScenarioResult> RunAsync()
    {
        var work = Directory.CreateTempSubdirectory("platform-bench-compute-");
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var parts = new[]
        {
            new Part("identity", ServiceDll("Identity"), $"bench_identity_{suffix}", FreePort()),
            new Part("image", ServiceDll("Image"), $"bench_image_{suffix}", FreePort()),
            new Part("scheduler", ServiceDll("Scheduler"), $"bench_placement_{suffix}", FreePort()),
            new Part("conductor", ServiceDll("Conductor"), $"bench_compute_{suffix}", FreePort()),
            new Part("compute-api", ServiceDll("ComputeApi"), $"bench_compute_api_{suffix}", FreePort()),
            new Part("compute-agent", AgentDll("ComputeAgent"), null, FreePort()),
        };
        var grpcPort = FreePort();
        var vhost = $"bench-compute-{suffix}";
        var processes = new List<(Part Part, Process Process)>();
        try
        {
            await CreateVirtualHostAsync(vhost);
            var transport = BrokerUrl.TrimEnd('/') + "/" + vhost;
            foreach (var p in parts.Where(p => p.Database is not null)) await CreateDatabaseAsync(p.Database!);
            var passwords = parts.ToDictionary(p => p.Name, _ => Convert.ToHexString(RandomNumberGenerator.GetBytes(12)));
            var adminPassword = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));

            foreach (var part in parts)
            {
                var config = WriteConfig(work.FullName, part, parts, transport, grpcPort, passwords, adminPassword);
                if (part.Database is not null) await RunCommandAsync(part.Name, part.Dll, ["db", "sync", "--config-file", config]);
                if (part.Name == "identity")
                {
                    await RunCommandAsync(part.Name, part.Dll, ["keys", "setup", "--config-file", config]);
                    await RunCommandAsync(part.Name, part.Dll, ["bootstrap", "--config-file", config]);
                }
                var process = StartServer(part.Name, part.Dll, config, part.Log(work.FullName));
                processes.Add((part, process));
                using var probe = LoopbackClient(part.Port);
                await WaitReadyAsync(part.Name, probe, process, part.Log(work.FullName));
            }

            var identity = parts[0];
            using var identityHttp = LoopbackClient(identity.Port);
            var token = await IdentityScenario.IssueAsync(identityHttp, IdentityScenario.AdminPasswordBody(adminPassword));
            using var image = LoopbackClient(parts[1].Port);
            image.DefaultRequestHeaders.Add("X-Auth-Token", token);
            using var compute = LoopbackClient(parts[4].Port);
            compute.DefaultRequestHeaders.Add("X-Auth-Token", token);
            compute.DefaultRequestHeaders.Add("OpenStack-API-Version", "compute 2.37");
            return await MeasureAsync(compute, image, await ProjectIdAsync(identityHttp, token));
        }
        catch
        {
            foreach (var part in parts) PrintLogTail(part.Name, part.Log(work.FullName));
            throw;
        }
        finally
        {
            foreach (var (part, process) in Enumerable.Reverse(processes)) await StopAsync(part.Name, process);
            foreach (var p in parts.Where(p => p.Database is not null)) await DropDatabaseAsync(p.Database!);
            await DeleteVirtualHostAsync(vhost);
            // BENCH_KEEP=1 keeps the processes' logs and configuration for a study.
            if (Environment.GetEnvironmentVariable("BENCH_KEEP") == "1") Console.WriteLine($"  kept {work.FullName}");
            else
            {
                try { work.Delete(recursive: true); }
                catch (IOException e) { Console.Error.WriteLine($"  could not remove {work.FullName}: {e.Message}"); }
            }
        }
    }

    private static async Task<ScenarioResult> MeasureAsync(HttpClient compute, HttpClient image, string project)
    {
        var measurements = new List<Measurement>();
        var imageId = await CreateImageAsync(image);
        var flavorId = await CreateFlavorAsync(compute);
        using (var quota = await compute.PutAsync($"/v2.1/os-quota-sets/{project}", JsonBody("""{"quota_set": {"instances": -1, "cores": -1, "ram": -1}}""")))
            await Expect(quota, HttpStatusCode.OK);
        await WaitForHypervisorsAsync(compute);
        await using var watcher = new ServerWatcher(compute);

        // Warm-up: JIT, pools, caches in every process.
        await StormAsync(compute, watcher, imageId, flavorId, 40, Clients, "warmup");

        // One client alone: what a create costs when nothing else runs.
        var (_, idle, idleErrors) = await StormAsync(compute, watcher, imageId, flavorId, IdleServers, 1, "idle");
        Console.WriteLine($"  {IdleServers,5} servers, one client: create->ACTIVE p50 {idle.P50Ms,7:F1} ms   p99 {idle.P99Ms,7:F1} ms   ({idleErrors} ERROR)");
        measurements.Add(new Measurement("create_to_active_idle_p50", "ms", idle.P50Ms));
        measurements.Add(new Measurement("create_to_active_idle_p99", "ms", idle.P99Ms));

        foreach (var n in Storms)
        {
            var (seconds, stats, errors) = await StormAsync(compute, watcher, imageId, flavorId, n, Clients, $"storm{n}");
            var rate = n / seconds;
            Console.WriteLine($"  {n,5} servers, {Clients} clients: all ACTIVE in {seconds,6:F2} s = {rate,6:F1} servers/s   create->ACTIVE p50 {stats.P50Ms,7:F1} ms   p99 {stats.P99Ms,7:F1} ms   ({errors} ERROR)");
            measurements.Add(new Measurement($"boot_storm_{n}_seconds", "s", seconds));
            measurements.Add(new Measurement($"boot_storm_{n}_servers_per_second", "per_second", rate));
            measurements.Add(new Measurement($"boot_storm_{n}_create_to_active_p50", "ms", stats.P50Ms));
            measurements.Add(new Measurement($"boot_storm_{n}_create_to_active_p99", "ms", stats.P99Ms));
            measurements.Add(new Measurement($"boot_storm_{n}_errors", "count", errors));
            Console.WriteLine($"  aim: p50 create->ACTIVE < {P50AimMs:F0} ms: {(stats.P50Ms < P50AimMs ? "met" : "NOT met")}"
                + (n == 1000 ? $"; 1000 servers ACTIVE in < {ThousandAimSeconds:F0} s: {(seconds < ThousandAimSeconds ? "met" : "NOT met")}" : ""));
        }
        return new ScenarioResult("compute", measurements);
    }

    /// <summary>N creates by <paramref name="clients"/> clients; each waits for its server to settle before its next create.</summary>
    private static async Task<(double Seconds, LatencyStats Stats, int Errors)> StormAsync(HttpClient compute, ServerWatcher watcher, string imageId, string flavorId,
        int n, int clients, string prefix)
    {
        var next = -1;
        var errors = 0;
        var latencies = new List<double>[clients];
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
        {
            latencies[c] = [];
            int i;
            while ((i = Interlocked.Increment(ref next)) < n)
            {
                using var watch = watcher.Begin();
                var start = Stopwatch.GetTimestamp();
                var body = $$$"""{"server": {"name": "{{{prefix}}}-{{{i}}}", "imageRef": "{{{imageId}}}", "flavorRef": "{{{flavorId}}}", "networks": "none"}}""";
                using var response = await compute.PostAsync("/v2.1/servers", JsonBody(body));
                using var created = JsonDocument.Parse(await Expect(response, HttpStatusCode.Accepted));
                var id = created.RootElement.GetProperty("server").GetProperty("id").GetString()!;
                var (status, settledAt) = await watcher.WaitSettledAsync(id, ServerDeadline);
                if (status != "ACTIVE") Interlocked.Increment(ref errors);
                latencies[c].Add(Stopwatch.GetElapsedTime(start, settledAt).TotalMilliseconds);
            }
        }));
        var seconds = clock.Elapsed.TotalSeconds;
        return (seconds, LatencyStats.From([.. latencies.SelectMany(l => l)], seconds), errors);
    }

    /// <summary>
    /// One poller for every client, as an operator's tooling would watch a fleet: it lists the
    /// servers changed since its last look every few milliseconds and tells each waiting client
    /// when its server left BUILD. (Each client polling its own server would add thousands of
    /// requests a second to the load being measured.)
    /// </summary>
    private sealed class ServerWatcher : IAsyncDisposable
    {
        private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(10);
        private readonly HttpClient compute;
        private readonly CancellationTokenSource stop = new();
        private readonly Task loop;
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource<(string, long)>> waiting = new();
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (string, long)> settled = new();

        public ServerWatcher(HttpClient compute)
        {
            this.compute = compute;
            loop = Task.Run(RunAsync);
        }

        private readonly System.Collections.Concurrent.ConcurrentDictionary<object, DateTime> creating = new();

        /// <summary>A create about to be sent: until it is disposed, every look covers changes since it began.</summary>
        public IDisposable Begin()
        {
            var token = new Creating(this);
            creating[token] = DateTime.UtcNow;
            return token;
        }

        private sealed class Creating(ServerWatcher watcher) : IDisposable
        {
            public void Dispose() => watcher.creating.TryRemove(this, out _);
        }

        public async Task<(string Status, long At)> WaitSettledAsync(string id, TimeSpan deadline)
        {
            var waiter = waiting.GetOrAdd(id, _ => new TaskCompletionSource<(string, long)>(TaskCreationOptions.RunContinuationsAsynchronously));
            if (settled.TryRemove(id, out var seen)) waiter.TrySetResult(seen);
            try
            {
                return await waiter.Task.WaitAsync(deadline);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"server {id} did not leave BUILD within {deadline.TotalSeconds:F0} s");
            }
            finally
            {
                waiting.TryRemove(id, out _);
            }
        }

        private async Task RunAsync()
        {
            var looks = 0;
            while (!stop.IsCancellationRequested)
            {
                // changes-since compares with updated_at, the time the conductor made the change,
                // which the API may hear of much later: every look covers all changes since the
                // oldest create still waiting began (less a second for clock rounding).
                var since = (creating.IsEmpty ? DateTime.UtcNow : creating.Values.Min()).AddSeconds(-1);
                try
                {
                    // The short list, filtered by status, costs the API little beside what it
                    // measures; errors are rare and only counted, so they are looked for less often.
                    foreach (var status in ++looks % 10 == 0 ? (string[])["ACTIVE", "ERROR"] : ["ACTIVE"])
                    {
                        using var response = await compute.GetAsync($"/v2.1/servers?status={status}&changes-since={since:yyyy-MM-ddTHH:mm:ss.ffffffZ}", stop.Token);
                        var now = Stopwatch.GetTimestamp();
                        using var doc = JsonDocument.Parse(await Expect(response, HttpStatusCode.OK));
                        foreach (var server in doc.RootElement.GetProperty("servers").EnumerateArray())
                        {
                            var id = server.GetProperty("id").GetString()!;
                            if (waiting.TryGetValue(id, out var waiter)) waiter.TrySetResult((status, now));
                            else settled.TryAdd(id, (status, now));
                        }
                    }
                    await Task.Delay(Interval, stop.Token);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            await loop;
            stop.Dispose();
        }
    }

    private static async Task WaitForHypervisorsAsync(HttpClient compute)
    {
        var deadline = Stopwatch.StartNew();
        var seen = 0;
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            using var response = await compute.GetAsync("/v2.1/os-hypervisors");
            using var doc = JsonDocument.Parse(await Expect(response, HttpStatusCode.OK));
            seen = doc.RootElement.GetProperty("hypervisors").GetArrayLength();
            if (seen >= FakeHosts)
            {
                Console.WriteLine($"  {seen} fake hypervisors reported after {deadline.Elapsed.TotalSeconds:F1} s");
                return;
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"only {seen} of {FakeHosts} hypervisors reported within 60 s");
    }

    private static async Task<string> CreateImageAsync(HttpClient image)
    {
        using var response = await image.PostAsync("/v2/images", JsonBody("""{"name": "bench-image", "disk_format": "qcow2", "container_format": "bare", "visibility": "public"}"""));
        using var doc = JsonDocument.Parse(await Expect(response, HttpStatusCode.Created));
        var id = doc.RootElement.GetProperty("id").GetString()!;
        using var data = new ByteArrayContent(RandomNumberGenerator.GetBytes(64 * 1024));
        data.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var upload = await image.PutAsync($"/v2/images/{id}/file", data);
        await Expect(upload, HttpStatusCode.NoContent);
        return id;
    }

    private static async Task<string> CreateFlavorAsync(HttpClient compute)
    {
        using var response = await compute.PostAsync("/v2.1/flavors", JsonBody("""{"flavor": {"name": "bench.tiny", "ram": 512, "vcpus": 1, "disk": 1}}"""));
        using var doc = JsonDocument.Parse(await Expect(response, HttpStatusCode.OK));
        return doc.RootElement.GetProperty("flavor").GetProperty("id").GetString()!;
    }

    /// <summary>The project of <paramref name="token"/>, as identity tells it.</summary>
    private static async Task<string> ProjectIdAsync(HttpClient identity, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v3/auth/tokens");
        request.Headers.Add("X-Auth-Token", token);
        request.Headers.Add("X-Subject-Token", token);
        using var response = await identity.SendAsync(request);
        using var doc = JsonDocument.Parse(await Expect(response, HttpStatusCode.OK));
        return doc.RootElement.GetProperty("token").GetProperty("project").GetProperty("id").GetString()!;
    }


    private static string WriteConfig(string dir, Part part, Part[] parts, string transport, int grpcPort,
        Dictionary<string, string> passwords, string adminPassword)
    {
        int Port(string name) => parts.Single(p => p.Name == name).Port;
        var identityUrl = $"http://127.0.0.1:{Port("identity")}";
        var text = new StringBuilder()
            .AppendLine(part.Name == "compute-agent" ? "host = bench" : $"host = bench-{part.Name}")
            .AppendLine(Environment.GetEnvironmentVariable("BENCH_DEBUG") == "1" ? "[logging]\ndebug = true\nformat = text" : "")
            .AppendLine().AppendLine("[api]").AppendLine($"listen = http://127.0.0.1:{part.Port}")
            .AppendLine().AppendLine("[messaging]").AppendLine($"transport_url = {transport}")
            .AppendLine().AppendLine("[keystone_authtoken]").AppendLine($"auth_url = {identityUrl}")
            .AppendLine($"username = {part.Name}").AppendLine($"password = {passwords[part.Name]}").AppendLine("region_name = RegionOne");
        if (part.Database is not null)
            text.AppendLine().AppendLine("[database]").AppendLine($"connection = {new MySqlConnectionStringBuilder(MySql) { Database = part.Database }.ConnectionString}");
        switch (part.Name)
        {
            case "identity":
                text.AppendLine().AppendLine("[token]").AppendLine($"key_repository = {Path.Combine(dir, "identity-keys")}")
                    .AppendLine().AppendLine("[bootstrap]").AppendLine($"admin_password = {adminPassword}").AppendLine("region = RegionOne")
                    .AppendLine().AppendLine("[bootstrap:service_users]");
                foreach (var p in parts) text.AppendLine($"{p.Name} = {passwords[p.Name]}");
                foreach (var (type, name, url) in new[]
                {
                    ("identity", "keystone", $"{identityUrl}/v3"),
                    ("compute", "nova", $"http://127.0.0.1:{Port("compute-api")}/v2.1"),
                    ("placement", "placement", $"http://127.0.0.1:{Port("scheduler")}"),
                    ("image", "glance", $"http://127.0.0.1:{Port("image")}"),
                })
                    text.AppendLine().AppendLine($"[bootstrap:catalog:{type}]").AppendLine($"name = {name}").AppendLine($"url = {url}");
                break;
            case "image":
                text.AppendLine().AppendLine("[glance_store]").AppendLine($"filesystem_store_datadir = {Path.Combine(dir, "images")}");
                break;
            case "scheduler":
                text.AppendLine().AppendLine("[placement]").AppendLine($"grpc_listen = http://127.0.0.1:{grpcPort}");
                break;
            case "compute-agent":
                text.AppendLine().AppendLine("[placement]").AppendLine($"grpc_url = http://127.0.0.1:{grpcPort}")
                    .AppendLine().AppendLine("[compute]").AppendLine("driver = fake")
                    .AppendLine().AppendLine("[fake]").AppendLine($"host_count = {FakeHosts}").AppendLine("spawn_delay_ms = 0");
                break;
            default:
                text.AppendLine().AppendLine("[placement]").AppendLine($"grpc_url = http://127.0.0.1:{grpcPort}");
                break;
        }
        var path = Path.Combine(dir, part.Name + ".conf");
        File.WriteAllText(path, text.ToString());
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }
}
