using System.Diagnostics;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.Messaging;
using Scheduler.Contracts;
using Scheduler.Contracts.Placement;
using static Platform.Bench.ServiceProcesses;
using PlacementApi = Scheduler.Contracts.Placement.Placement;

namespace Platform.Bench;

/// <summary>
/// The scheduler as a real process: 10,000 compute nodes reported over placement's gRPC, then
/// select_destinations calls over RabbitMQ as the conductor makes them (each claims its primary),
/// timed one at a time and from several callers; allocations are deleted between rounds.
/// </summary>
public sealed class SchedulerScenario : IScenario
{
    private const int Nodes = 10_000;
    private const int ReportClients = 8;
    private const int Rounds = 3;
    private const int CallsPerRound = 500;
    private const int ConcurrentCallers = 4;
    private const double P99AimMs = 20;

    public string Name => "scheduler";
    public string Description => "the scheduler as a process: 10,000 nodes reported over gRPC, then select_destinations (with claims) over the bus";

    public async Task<ScenarioResult> RunAsync()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        BenchPart[] parts =
        [
            new("identity", ServiceDll("Identity"), $"bench_identity_{suffix}", FreePort()),
            new("scheduler", ServiceDll("Scheduler"), $"bench_sched_{suffix}", FreePort()),
        ];
        var grpcPort = FreePort();
        await using var fleet = await BenchFleet.StartAsync("scheduler", Directory.CreateTempSubdirectory("platform-bench-scheduler-"), parts,
            f => [("placement", "placement", f.Url("scheduler"))],
            // Nodes report once here, not every minute: keep them up for the whole run.
            (_, part) => part.Name == "scheduler" ? $"\n[placement]\ngrpc_listen = http://127.0.0.1:{grpcPort}\n\n[scheduler]\nservice_down_time = 3600\n" : "");
        try
        {
            using var identity = LoopbackClient(fleet["identity"].Port);
            var token = await IdentityScenario.IssueAsync(identity, IdentityScenario.AdminPasswordBody(fleet.AdminPassword));
            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
            var placement = new PlacementApi.PlacementClient(channel.Intercept(m =>
            {
                m.Add(PlacementClientExtensions.TokenMetadataKey, token);
                return m;
            }));
            return await MeasureAsync(placement, fleet.TransportUrl);
        }
        catch
        {
            fleet.PrintLogTails();
            throw;
        }
    }

    private static async Task<ScenarioResult> MeasureAsync(PlacementApi.PlacementClient placement, string transport)
    {
        var measurements = new List<Measurement>();
        var report = Stopwatch.StartNew();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, ReportClients).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < Nodes) await placement.ReportComputeNodeAsync(Node(i));
        }));
        Console.WriteLine($"  {Nodes} compute nodes reported in {report.Elapsed.TotalSeconds:F1} s ({Nodes / report.Elapsed.TotalSeconds:F0}/s)");
        measurements.Add(new Measurement("report_compute_node", "per_second", Nodes / report.Elapsed.TotalSeconds));

        using var bus = BuildBus(transport);
        await bus.StartAsync();
        try
        {
            var client = new SchedulerClient(bus.Services.GetRequiredService<IRpcClient>());
            var consumers = new System.Collections.Concurrent.ConcurrentBag<string>();
            async Task SelectAsync()
            {
                var uuid = Guid.NewGuid().ToString();
                var request = new SelectDestinations
                {
                    Spec = new RequestSpec { InstanceUuid = uuid, ProjectId = "bench", UserId = "bench", Flavor = Flavor },
                    InstanceUuids = [uuid],
                };
                await client.CallSelectDestinationsAsync(request);
                consumers.Add(uuid);
            }
            async Task ReleaseAsync()
            {
                var all = consumers.ToArray();
                consumers.Clear();
                var k = -1;
                await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
                {
                    int i;
                    while ((i = Interlocked.Increment(ref k)) < all.Length)
                        await placement.DeleteAllocationsAsync(new DeleteAllocationsRequest { ConsumerUuid = all[i] });
                }));
            }

            // Warm-up: the scheduler loads its view of all nodes on the first call; JIT, pools.
            var warm = Stopwatch.StartNew();
            await SelectAsync();
            Console.WriteLine($"  first select_destinations (loads the view of {Nodes} nodes): {warm.Elapsed.TotalMilliseconds:F0} ms");
            for (var i = 0; i < 50; i++) await SelectAsync();
            await ReleaseAsync();

            var sequential = new List<double>();
            var seconds = 0.0;
            for (var round = 0; round < Rounds; round++)
            {
                var stats = await TimeAsync(1, CallsPerRound, SelectAsync);
                sequential.AddRange(stats.Millis);
                seconds += stats.Seconds;
                await ReleaseAsync();
            }
            var one = LatencyStats.From(sequential, seconds);
            Console.WriteLine($"  select_destinations, 1 caller    {one}");
            measurements.Add(new Measurement("select_destinations_1_caller_p50", "ms", one.P50Ms));
            measurements.Add(new Measurement("select_destinations_1_caller_p99", "ms", one.P99Ms));
            measurements.Add(new Measurement("select_destinations_1_caller", "claims_per_second", one.PerSecond));
            Console.WriteLine($"  aim: p99 < {P99AimMs:F0} ms at {Nodes} nodes: {(one.P99Ms < P99AimMs ? "met" : "NOT met")}");

            var concurrent = await TimeAsync(ConcurrentCallers, CallsPerRound * 2, SelectAsync);
            await ReleaseAsync();
            var many = LatencyStats.From(concurrent.Millis, concurrent.Seconds);
            Console.WriteLine($"  select_destinations, {ConcurrentCallers} callers   {many}");
            measurements.Add(new Measurement($"select_destinations_{ConcurrentCallers}_callers_p50", "ms", many.P50Ms));
            measurements.Add(new Measurement($"select_destinations_{ConcurrentCallers}_callers_p99", "ms", many.P99Ms));
            measurements.Add(new Measurement($"select_destinations_{ConcurrentCallers}_callers", "claims_per_second", many.PerSecond));
        }
        finally
        {
            await bus.StopAsync();
        }
        return new ScenarioResult("scheduler", measurements);
    }

    private static readonly FlavorSpec Flavor = new() { Id = "bench", Name = "m1.bench", Vcpus = 2, MemoryMb = 4096, RootGb = 40 };

    private static ReportComputeNodeRequest Node(int i)
    {
        var r = new ReportComputeNodeRequest
        {
            ProviderUuid = $"00000000-0000-4000-8000-{i:D12}",
            Host = $"bench-cmp-{i:D5}", HypervisorHostname = $"bench-cmp-{i:D5}", HypervisorType = "fake", HypervisorVersion = 1000,
            HostIp = $"10.{i / 65536 % 256}.{i / 256 % 256}.{i % 256}", CpuInfo = """{"arch": "x86_64"}""", FailedBuilds = i % 97 == 0 ? 1 : 0,
        };
        // Not all alike, so the weighers have something to say.
        r.Inventories.Add(new Inventory { ResourceClass = "VCPU", Total = 32 + i % 4 * 16, MaxUnit = 32, AllocationRatio = 4 });
        r.Inventories.Add(new Inventory { ResourceClass = "MEMORY_MB", Total = 131072 + i % 8 * 16384, Reserved = 512, MaxUnit = 131072, AllocationRatio = 1.5 });
        r.Inventories.Add(new Inventory { ResourceClass = "DISK_GB", Total = 2048, MaxUnit = 2048, AllocationRatio = 1 });
        r.SupportedInstances.Add(new SupportedInstance { Architecture = "x86_64", HypervisorType = "fake", VmMode = "hvm" });
        return r;
    }

    private sealed record Timed(List<double> Millis, double Seconds);

    private static async Task<Timed> TimeAsync(int callers, int total, Func<Task> one)
    {
        var next = -1;
        var lists = new List<double>[callers];
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, callers).Select(async c =>
        {
            lists[c] = [];
            while (Interlocked.Increment(ref next) < total)
            {
                var start = Stopwatch.GetTimestamp();
                await one();
                lists[c].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        }));
        return new Timed([.. lists.SelectMany(l => l)], clock.Elapsed.TotalSeconds);
    }

    private static IHost BuildBus(string transport)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [TransportUrl.ConfigKey] = transport,
            [MessagingExtensions.HostKey] = "bench-conductor",
            ["messaging:wait_until_started"] = "true",
        });
        builder.AddMessaging();
        return builder.Build();
    }
}
