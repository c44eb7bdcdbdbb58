using Conductor.Contracts;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Catalog;
using Platform.Messaging;
using Platform.TestSupport;

namespace ComputeAgent.Tests;

/// <summary>
/// One compute agent in-process on a RabbitMQ vhost of its own, with the peers it talks to played
/// by the test: a conductor on the bus, placement over gRPC, and the network and image REST APIs.
/// The agent can be restarted against the same peers, as a host that crashed comes back.
/// </summary>
public abstract class AgentEnvironment : IAsyncLifetime
{
    public const string Host1 = "test-host";
    public const string Host2 = "test-host-2";
    public const string Host3 = "test-host-3";

    private readonly RabbitMqFixture rabbit = new();
    private IHost? conductorHost;
    private ServiceFactory<Program>? factory;
    private WebApplicationFactory<Program>? agent;

    public string TransportUrl { get; private set; } = "";
    public TestConductorState Conductor { get; } = new();
    public TestPeerServer Peers { get; private set; } = null!;
    public IRpcClient Rpc => conductorHost!.Services.GetRequiredService<IRpcClient>();
    public IServiceProvider AgentServices => agent!.Services;

    /// <summary>The agent's configuration beyond the test defaults.</summary>
    protected abstract IReadOnlyDictionary<string, string?> Settings { get; }

    public async Task InitializeAsync()
    {
        await rabbit.InitializeAsync();
        TransportUrl = await rabbit.NewVirtualHostAsync("compute-agent");
        Peers = await TestPeerServer.StartAsync();

        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [Platform.Messaging.TransportUrl.ConfigKey] = TransportUrl,
            [MessagingExtensions.HostKey] = "test-conductor",
            ["messaging:wait_until_started"] = "true",
        });
        builder.Services.AddSingleton(Conductor);
        // Reschedules come on the conductor's queue, the agent's calls on its compute queue.
        builder.AddMessaging(e => e
            .Queue(Topics.Conductor, r => r.Consumer<TestConductorConsumer>())
            .Queue(Topics.ConductorCompute, r => r.Consumer<TestConductorConsumer>()));
        conductorHost = builder.Build();
        await conductorHost.StartAsync();
        StartAgent();
    }

    public void StartAgent()
    {
        var settings = new Dictionary<string, string?>
        {
            ["messaging:wait_until_started"] = "true",
            ["fake:host_count"] = "3",
            ["report_interval"] = "1",
            ["compute:resource_report_interval"] = "1",
            ["placement:grpc_url"] = Peers.GrpcUrl,
        };
        foreach (var (key, value) in Settings) settings[key] = value;
        factory = new ServiceFactory<Program>("Server=127.0.0.1;Database=unused", TransportUrl, settings);
        var catalog = new TestCatalog(Peers.RestUrl);
        agent = factory.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<IServiceCatalog>(catalog)));
        // Touching the services starts the host, and with it the bus and the reporters.
        _ = agent.Services;
    }

    public async Task StopAgentAsync()
    {
        if (agent is not null) await agent.DisposeAsync();
        if (factory is not null) await factory.DisposeAsync();
        agent = null;
        factory = null;
    }

    public async Task DisposeAsync()
    {
        await StopAgentAsync();
        if (conductorHost is not null)
        {
            await conductorHost.StopAsync();
            conductorHost.Dispose();
        }
        if (Peers is not null) await Peers.DisposeAsync();
        await rabbit.DisposeAsync();
    }

    /// <summary>Waits until the instance satisfies <paramref name="condition"/>; fails with its last state.</summary>
    public async Task<InstanceInfo> WaitForAsync(string uuid, Func<InstanceInfo, bool> condition, double seconds = 45)
    {
        var reached = await Eventually.TrueAsync(() => Conductor.Instances.TryGetValue(uuid, out var i) && condition(i), TimeSpan.FromSeconds(seconds));
        var last = Conductor.Instances[uuid];
        Assert.True(reached, $"instance {uuid} never reached the state; last: vm={last.VmState} task={last.TaskState} power={last.PowerState} deleted={last.Deleted} fault={last.Fault?.Message}");
        return last;
    }

    public static Task<bool> Until(Func<bool> condition, double seconds = 45) => Eventually.TrueAsync(condition, TimeSpan.FromSeconds(seconds));
}
