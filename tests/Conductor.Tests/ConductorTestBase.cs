using Conductor.Contracts;
using MassTransit;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Catalog;
using Platform.Context;
using Platform.Data;
using Platform.Messaging;
using Platform.TestSupport;
using Scheduler.Contracts;

namespace Conductor.Tests;

/// <summary>
/// The conductor in-process against the real MariaDB and RabbitMQ; on the bus beside it a test
/// scheduler, test compute hosts and an instance-event subscriber (<see cref="Peers"/>), and a
/// placement gRPC server of the test's own (<see cref="Placement"/>).
/// </summary>
public abstract class ConductorTestBase(MySqlFixture mysql, RabbitMqFixture rabbit, string name) : IAsyncLifetime
{
    public const string ServiceToken = "conductor-service-token";
    protected static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    protected static readonly string[] Hosts = ["host-1", "host-2", "host-3", "host-4"];

    private ServiceFactory<Program>? root;
    private IHost? peersHost;
    private TestPlacementServer? placement;

    protected WebApplicationFactory<Program> Factory { get; private set; } = null!;
    protected Peers Peers { get; } = new();
    protected PlacementRecord Placement => placement!.Record;
    protected ConductorClient Conductor { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        placement = await TestPlacementServer.StartAsync();
        var transportUrl = await rabbit.NewVirtualHostAsync(name);
        root = new ServiceFactory<Program>(mysql.NewDatabase(name), transportUrl, new Dictionary<string, string?>
        {
            ["messaging:wait_until_started"] = "true",
            ["placement:grpc_url"] = placement.Url,
            ["scheduler:max_attempts"] = "3",
        });
        Factory = root.WithWebHostBuilder(b => b.ConfigureTestServices(services =>
        {
            services.AddSingleton<IServiceCatalog>(new TokenOnlyCatalog());
            services.AddSingleton(Peers);
            services.AddConsumeObserver<CountingConsumeObserver>();
        }));
        await Factory.Services.GetRequiredService<MigrationRunner>().SyncAsync();
        peersHost = await StartPeersAsync(transportUrl);
        Conductor = new ConductorClient(peersHost.Services.GetRequiredService<IRpcClient>());
    }

    private async Task<IHost> StartPeersAsync(string transportUrl)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [TransportUrl.ConfigKey] = transportUrl,
            [MessagingExtensions.HostKey] = "test-peers",
            ["messaging:wait_until_started"] = "true",
            ["messaging:rpc_response_timeout"] = "20",
        });
        builder.Services.AddSingleton(Peers);
        builder.AddMessaging(e =>
        {
            e.Queue(Scheduler.Contracts.Topics.Scheduler, r => r.Consumer<TestSchedulerConsumer>());
            foreach (var host in Hosts)
                e.Queue(ComputeAgent.Contracts.Topics.ComputeOn(host), r => r.Consumer<TestComputeConsumer>());
            e.Fanout("instance-events", r => r.Consumer<InstanceEventsConsumer>(), instance: "conductor-tests");
        });
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    public async Task DisposeAsync()
    {
        if (peersHost is not null)
        {
            await peersHost.StopAsync();
            peersHost.Dispose();
        }
        if (Factory is not null) await Factory.DisposeAsync();
        if (root is not null) await root.DisposeAsync();
        if (placement is not null) await placement.DisposeAsync();
    }

    /// <summary>Calls as the API would on behalf of a user of project-a (or an admin), under a global request id of its own.</summary>
    protected static string Act(bool admin = false)
    {
        var id = "req-" + Guid.NewGuid();
        RequestContextAccessor.Current = new RequestContext
        {
            GlobalRequestId = id,
            UserId = admin ? "admin-user" : "user-a",
            ProjectId = admin ? "admin-project" : "project-a",
            Roles = admin ? ["admin", "member"] : ["member"],
        };
        return id;
    }

    protected static BuildInstances Build(params string[] uuids) => new()
    {
        Instances = [.. uuids.Select((u, i) => new InstanceToBuild(u, "server-" + i, "server-" + i, i))],
        ProjectId = "project-a",
        UserId = "user-a",
        Flavor = new FlavorSpec { Id = "1", Name = "m1.tiny", Vcpus = 1, MemoryMb = 512, RootGb = 1 },
        Image = new ImageSpec { Id = "image-1", Name = "cirros" },
        Metadata = new Dictionary<string, string> { ["purpose"] = "test" },
        Networks = [new RequestedNetwork("net-1")],
    };

    protected static string NewUuid() => Guid.NewGuid().ToString();

    protected async Task<T> WaitForAsync<T>(Func<T?> find, string what) where T : class
    {
        T? found = null;
        Assert.True(await Eventually.TrueAsync(() => (found = find()) is not null, Wait), $"timed out waiting for {what}");
        return found!;
    }

    protected Task<InstanceInfo> WaitForStateAsync(string uuid, Func<InstanceInfo, bool> condition, string what) =>
        WaitForAsync(() => Peers.EventsOf(uuid).Where(condition).MaxBy(e => e.Version), $"{what} of {uuid}");

    /// <summary>Builds an instance on the test scheduler's first host and makes it ACTIVE as its agent would.</summary>
    protected async Task<InstanceInfo> BuildActiveAsync(string uuid)
    {
        Act();
        await Conductor.CastBuildInstancesAsync(Build(uuid));
        var cast = await WaitForAsync(() => Peers.CastsTo<ComputeAgent.Contracts.BuildAndRunInstance>().FirstOrDefault(b => b.Instance.Uuid == uuid), "the build cast");
        var reply = await Conductor.CallInstanceUpdateAsync(new InstanceUpdate
        {
            InstanceUuid = uuid,
            ExpectedTaskStates = [TaskStates.Scheduling],
            Changes = new InstanceChanges { VmState = VmStates.Active, SetTaskState = true, TaskState = null, PowerState = PowerStates.Running, LaunchedAt = DateTime.UtcNow },
        });
        Assert.True(reply.Updated);
        Assert.Equal(cast.Instance.Host, reply.Instance!.Host);
        return reply.Instance;
    }
}

/// <summary>No identity beside the test: the service token is a fixed string the test placement checks.</summary>
public sealed class TokenOnlyCatalog : IServiceCatalog
{
    public Task<Uri> GetEndpointAsync(string serviceType, string? @interface = null, string? region = null, CancellationToken ct = default) =>
        throw new Platform.Catalog.EndpointNotFoundException(serviceType, @interface ?? "internal", region);

    public Task<string> GetTokenAsync(CancellationToken ct = default) => Task.FromResult(ConductorTestBase.ServiceToken);

    public void InvalidateToken(string token) { }
}
