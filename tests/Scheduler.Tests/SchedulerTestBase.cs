using PlacementApi = Scheduler.Contracts.Placement.Placement;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using MySqlConnector;
using Dapper;
using Platform.Messaging;
using Platform.TestSupport;
using Scheduler.Contracts;
using Scheduler.Contracts.Placement;

namespace Scheduler.Tests;

/// <summary>
/// The scheduler in-process against the real MariaDB and RabbitMQ, trusting test tokens;
/// placement through gRPC over the test server, select_destinations through the bus.
/// </summary>
public abstract class SchedulerTestBase(MySqlFixture mysql, RabbitMqFixture rabbit, string hint) : IAsyncLifetime
{
    protected TestTokens Tokens { get; } = new();
    protected ServiceFactory<Program> Factory { get; private set; } = null!;
    protected string Database { get; private set; } = null!;
    protected string TransportUrl { get; private set; } = null!;
    protected string AdminToken { get; private set; } = null!;
    private readonly List<ServiceFactory<Program>> factories = [];
    private readonly List<GrpcChannel> channels = [];

    protected virtual IDictionary<string, string?> Settings => new Dictionary<string, string?>();

    public async Task InitializeAsync()
    {
        Database = mysql.NewDatabase(hint);
        TransportUrl = await rabbit.NewVirtualHostAsync(hint);
        AdminToken = Tokens.Issue("admin-project", "admin", "member", "reader");
        Factory = NewFactory();
        await Factory.SyncAsync();
    }

    /// <summary>Another scheduler on the same database and broker (a second process, as far as the data is concerned).</summary>
    protected ServiceFactory<Program> NewFactory()
    {
        var settings = new Dictionary<string, string?>(Settings) { ["messaging:wait_until_started"] = "true" };
        var factory = new ServiceFactory<Program>(Database, TransportUrl, settings) { Tokens = Tokens };
        factories.Add(factory);
        return factory;
    }

    public async Task DisposeAsync()
    {
        foreach (var c in channels) c.Dispose();
        // A host that does not stop within a minute fails the test with its name rather than holding the run.
        foreach (var f in factories)
            await f.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromMinutes(1));
        Tokens.Dispose();
    }

    protected PlacementApi.PlacementClient Placement(string? token = null, ServiceFactory<Program>? factory = null)
    {
        factory ??= Factory;
        var channel = GrpcChannel.ForAddress(factory.Server.BaseAddress, new GrpcChannelOptions { HttpHandler = factory.Server.CreateHandler() });
        channels.Add(channel);
        var invoker = token is null ? channel.CreateCallInvoker() : channel.Intercept(m =>
        {
            m.Add(PlacementClientExtensions.TokenMetadataKey, token);
            return m;
        });
        return new PlacementApi.PlacementClient(invoker);
    }

    protected PlacementApi.PlacementClient Admin => Placement(AdminToken);

    protected SchedulerClient Scheduler(ServiceFactory<Program>? factory = null) =>
        new((factory ?? Factory).Services.GetRequiredService<IRpcClient>());

    protected static ReportComputeNodeRequest Node(string host, int vcpus = 8, int ramMb = 16384, int diskGb = 200, double cpuRatio = 1,
        string? uuid = null, int failedBuilds = 0)
    {
        var r = new ReportComputeNodeRequest
        {
            ProviderUuid = uuid ?? Guid.NewGuid().ToString(), Host = host, HypervisorHostname = host, HypervisorType = "fake", HypervisorVersion = 1000,
            HostIp = "10.0.0.1", CpuInfo = """{"arch": "x86_64", "features": ["vmx"]}""", FailedBuilds = failedBuilds,
        };
        r.Inventories.Add(new Inventory { ResourceClass = "VCPU", Total = vcpus, MaxUnit = vcpus, AllocationRatio = cpuRatio });
        r.Inventories.Add(new Inventory { ResourceClass = "MEMORY_MB", Total = ramMb, MaxUnit = ramMb, Reserved = 0, AllocationRatio = 1 });
        r.Inventories.Add(new Inventory { ResourceClass = "DISK_GB", Total = diskGb, MaxUnit = diskGb, AllocationRatio = 1 });
        r.Traits.Add("COMPUTE_STATUS_ENABLED");
        r.SupportedInstances.Add(new SupportedInstance { Architecture = "x86_64", HypervisorType = "fake", VmMode = "hvm" });
        return r;
    }

    protected static ClaimAllocationsRequest Claim(string consumer, string provider, params (string Rc, long Amount)[] resources)
    {
        var request = new ClaimAllocationsRequest { ConsumerUuid = consumer, ProjectId = "p1", UserId = "u1" };
        var allocation = new ProviderAllocation { ProviderUuid = provider };
        foreach (var (rc, amount) in resources) allocation.Resources[rc] = amount;
        request.Allocations.Add(allocation);
        return request;
    }

    protected static SelectDestinations Select(FlavorSpec flavor, int count = 1, Func<RequestSpec, RequestSpec>? change = null)
    {
        var uuids = Enumerable.Range(0, count).Select(_ => Guid.NewGuid().ToString()).ToList();
        var spec = new RequestSpec { InstanceUuid = uuids[0], ProjectId = "p1", UserId = "u1", Flavor = flavor };
        return new SelectDestinations { Spec = change is null ? spec : change(spec), InstanceUuids = uuids };
    }

    protected static FlavorSpec Flavor(int vcpus = 1, int ram = 512, int root = 1) => new() { Id = "f", Name = "m1.test", Vcpus = vcpus, MemoryMb = ram, RootGb = root };

    /// <summary>Per provider uuid and class: what is allocated in the database now.</summary>
    protected async Task<Dictionary<(string Provider, string Rc), long>> UsageAsync()
    {
        await using var c = new MySqlConnection(Database);
        var rows = await c.QueryAsync<(string, string, long)>("""
            SELECT rp.uuid, a.resource_class, CAST(SUM(a.used) AS SIGNED) FROM allocations a JOIN resource_providers rp ON rp.id = a.resource_provider_id
            GROUP BY rp.uuid, a.resource_class
            """);
        return rows.ToDictionary(r => (r.Item1, r.Item2), r => r.Item3);
    }

    protected async Task<long> CountAsync(string table)
    {
        await using var c = new MySqlConnection(Database);
        return await c.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM {table}");
    }

    protected static async Task<StatusCode> StatusOf(Func<Task> call)
    {
        try
        {
            await call();
            return StatusCode.OK;
        }
        catch (Grpc.Core.RpcException e)
        {
            return e.StatusCode;
        }
    }
}
