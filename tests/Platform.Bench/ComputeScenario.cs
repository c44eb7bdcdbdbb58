using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
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
    // Enough one-at-a-time creates that the p50 is steady and the p99 is not just the slowest one.
    private const int IdleServers = 100;
    // BENCH_COMPUTE_CLIENTS and BENCH_COMPUTE_STORMS (comma-separated) change the defaults for a study.
    private static readonly int Clients = int.TryParse(Environment.GetEnvironmentVariable("BENCH_COMPUTE_CLIENTS"), out var c) && c > 0 ? c : 32;
    private static readonly int[] Storms = Environment.GetEnvironmentVariable("BENCH_COMPUTE_STORMS") is { Length: > 0 } storms
        ? [.. storms.Split(',').Select(int.Parse)] : [100, 1000];
    private const double P50AimMs = 100;
    private const double ThousandAimSeconds = 30;
    private static readonly TimeSpan ServerDeadline = TimeSpan.FromSeconds(120);

    public string Name => "compute";
    public string Description => $"boot storm through the compute API: {string.Join(" and ", Storms)} servers on {FakeHosts} fake hosts, {Clients} clients";

    public async Task<ScenarioResult> RunAsync()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        BenchPart[] parts =
        [
            new("identity", ServiceDll("Identity"), $"bench_identity_{suffix}", FreePort()),
            new("image", ServiceDll("Image"), $"bench_image_{suffix}", FreePort()),
            new("scheduler", ServiceDll("Scheduler"), $"bench_placement_{suffix}", FreePort()),
            new("conductor", ServiceDll("Conductor"), $"bench_compute_{suffix}", FreePort()),
            new("compute-api", ServiceDll("ComputeApi"), $"bench_compute_api_{suffix}", FreePort()),
            new("compute-agent", AgentDll("ComputeAgent"), null, FreePort()),
        ];
        var grpcPort = FreePort();
        await using var fleet = await BenchFleet.StartAsync("compute", Directory.CreateTempSubdirectory("platform-bench-compute-"), parts,
            f => [("compute", "nova", $"{f.Url("compute-api")}/v2.1"), ("placement", "placement", f.Url("scheduler")), ("image", "glance", f.Url("image"))],
            (f, part) => Sections(f, part, grpcPort));
        try
        {
            using var identity = LoopbackClient(fleet["identity"].Port);
            using var image = await fleet.AdminClientAsync("image");
            using var compute = await fleet.AdminClientAsync("compute-api");
            compute.DefaultRequestHeaders.Add("OpenStack-API-Version", "compute 2.37");
            var token = compute.DefaultRequestHeaders.GetValues("X-Auth-Token").Single();
            return await MeasureAsync(compute, image, await ProjectIdAsync(identity, token));
        }
        catch
        {
            fleet.PrintLogTails();
            throw;
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
        Console.WriteLine($"  aim: p50 create->ACTIVE < {P50AimMs:F0} ms for a create alone: {(idle.P50Ms < P50AimMs ? "met" : "NOT met")}");

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
            // Each client waits for its server before its next create, so a storm's latency is the
            // clients over the rate (Little's law), whatever one create costs: shown, not aimed at.
            Console.WriteLine($"        (a storm's p50 is about clients / rate = {Clients / rate * 1000,6:F0} ms)"
                + (n == 1000 ? $"   aim: 1000 servers ACTIVE in < {ThousandAimSeconds:F0} s: {(seconds < ThousandAimSeconds ? "met" : "NOT met")}" : ""));
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


    /// <summary>Each part's own configuration beyond what every part has.</summary>
    private static string Sections(BenchFleet fleet, BenchPart part, int grpcPort) => part.Name switch
    {
        "identity" => "",
        "image" => $"\n[glance_store]\nfilesystem_store_datadir = {Path.Combine(fleet.Work.FullName, "images")}\n",
        "scheduler" => $"\n[placement]\ngrpc_listen = http://127.0.0.1:{grpcPort}\n",
        "compute-agent" => $"\n[placement]\ngrpc_url = http://127.0.0.1:{grpcPort}\n\n[compute]\ndriver = fake\n\n[fake]\nhost_count = {FakeHosts}\nspawn_delay_ms = 0\n",
        _ => $"\n[placement]\ngrpc_url = http://127.0.0.1:{grpcPort}\n",
    };
}
