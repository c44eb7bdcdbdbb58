using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Conductor.Contracts;
using Grpc.Core;
using MassTransit;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Image.Contracts;
using NetworkServer.Contracts;
using Platform.Catalog;
using Platform.Data;
using Platform.Messaging;
using Platform.TestSupport;
using Scheduler.Contracts.Placement;

namespace ComputeApi.Tests;

/// <summary>An answer of the compute API: status, JSON body (default when none) and headers.</summary>
public sealed record ApiAnswer(HttpStatusCode Status, JsonElement Body, HttpResponseHeaders Headers, string Text)
{
    public override string ToString() => $"{(int)Status} {Text}";
}

/// <summary>
/// The compute API in-process against the real MariaDB and RabbitMQ, with tokens for projects A
/// and B, an admin and a service user; its REST peers (image, network) and placement are fakes
/// in the test (<see cref="Peers"/>, <see cref="Placement"/>), and a test conductor on the bus
/// (<see cref="Conductor"/>) records what the API sends it and answers its calls.
/// </summary>
public abstract class ComputeApiTestBase(MySqlFixture mysql, RabbitMqFixture rabbit, string name) : IAsyncLifetime
{
    private ServiceFactory<Program>? root;
    private IHost? conductorHost;

    protected TestTokens Tokens { get; } = new();
    protected WebApplicationFactory<Program> Factory { get; private set; } = null!;
    protected HttpClient Http { get; private set; } = null!;
    protected string TransportUrl { get; private set; } = "";
    protected string Database { get; private set; } = "";

    /// <summary>Member and reader of project-a (user user-of-project-a).</summary>
    protected string A { get; private set; } = "";

    /// <summary>Member and reader of project-b.</summary>
    protected string B { get; private set; } = "";

    /// <summary>Only a reader of project-a (user user-of-project-a).</summary>
    protected string ReaderA { get; private set; } = "";

    protected string Admin { get; private set; } = "";

    /// <summary>A service user (role service), as the network service calls external events.</summary>
    protected string Service { get; private set; } = "";

    protected FakePeers Peers { get; } = new();
    protected FakePlacement Placement { get; } = new();
    protected TestConductor Conductor { get; } = new();

    protected virtual IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["messaging:outbox_poll_interval_ms"] = "100",
        ["messaging:wait_until_started"] = "true",
    };

    /// <summary>For a test class that needs more fakes in the API's container.</summary>
    protected virtual void ConfigureTestServices(IServiceCollection services) { }

    public async Task InitializeAsync()
    {
        TransportUrl = await rabbit.NewVirtualHostAsync(name);
        Database = mysql.NewDatabase(name);
        var serviceToken = Tokens.Issue("service", "service", "admin");
        root = new ServiceFactory<Program>(Database, TransportUrl, Settings) { Tokens = Tokens };
        Factory = root.WithWebHostBuilder(b => b.ConfigureTestServices(services =>
        {
            services.AddSingleton<IServiceCatalog>(new FakeCatalog(serviceToken));
            services.AddHttpClient<ImageClient>().ConfigurePrimaryHttpMessageHandler(() => new FakePeerHandler(Peers));
            services.AddHttpClient<NetworkClient>().ConfigurePrimaryHttpMessageHandler(() => new FakePeerHandler(Peers));
            services.AddSingleton<Scheduler.Contracts.Placement.Placement.PlacementClient>(Placement);
            ConfigureTestServices(services);
        }));
        var runner = Factory.Services.GetService<MigrationRunner>();
        if (runner is not null) await runner.SyncAsync();
        Http = Factory.CreateClient();
        A = Tokens.Issue("project-a", "member", "reader");
        B = Tokens.Issue("project-b", "member", "reader");
        ReaderA = Tokens.Issue("project-a", "reader");
        Admin = Tokens.Issue("project-admin", "admin", "member", "reader");
        Service = Tokens.Issue("service", "service");
        conductorHost = await StartConductorAsync();
    }

    private async Task<IHost> StartConductorAsync()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [Platform.Messaging.TransportUrl.ConfigKey] = TransportUrl,
            [MessagingExtensions.HostKey] = "test-conductor",
            ["messaging:wait_until_started"] = "true",
        });
        builder.Services.AddSingleton(Conductor);
        builder.AddMessaging(e => e.Queue(global::Conductor.Contracts.Topics.Conductor, r => r.Consumer<TestConductorConsumer>()));
        var host = builder.Build();
        await host.StartAsync();
        Conductor.Rpc = host.Services.GetRequiredService<IRpcClient>();
        return host;
    }

    public async Task DisposeAsync()
    {
        if (conductorHost is not null)
        {
            await conductorHost.StopAsync();
            conductorHost.Dispose();
        }
        Http?.Dispose();
        if (root is not null) await root.DisposeAsync();
        Tokens.Dispose();
    }

    /// <summary>Sends a request; <paramref name="microversion"/> is sent as <c>OpenStack-API-Version: compute ...</c>.</summary>
    protected async Task<ApiAnswer> SendAsync(HttpMethod method, string path, string? token, object? body = null, string? microversion = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (token is not null) request.Headers.Add("X-Auth-Token", token);
        if (microversion is not null) request.Headers.Add("OpenStack-API-Version", $"compute {microversion}");
        if (body is not null)
            request.Content = new StringContent(body as string ?? JsonSerializer.Serialize(body), Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var json = text.StartsWith('{') || text.StartsWith('[') ? JsonDocument.Parse(text).RootElement.Clone() : default;
        return new ApiAnswer(response.StatusCode, json, response.Headers, text);
    }

    protected Task<ApiAnswer> GetAsync(string path, string token, string? microversion = null) => SendAsync(HttpMethod.Get, path, token, null, microversion);
    protected Task<ApiAnswer> PostAsync(string path, string token, object body, string? microversion = null) => SendAsync(HttpMethod.Post, path, token, body, microversion);
    protected Task<ApiAnswer> PutAsync(string path, string token, object body, string? microversion = null) => SendAsync(HttpMethod.Put, path, token, body, microversion);
    protected Task<ApiAnswer> DeleteAsync(string path, string token, string? microversion = null) => SendAsync(HttpMethod.Delete, path, token, null, microversion);

    protected static void AssertStatus(HttpStatusCode expected, ApiAnswer answer) =>
        Assert.True(answer.Status == expected, $"expected {(int)expected}, got {answer}");

    /// <summary>Asserts nova's error shape (<c>{"badRequest": {"code": 400, "message": ...}}</c>) and returns the message.</summary>
    protected static string AssertError(HttpStatusCode expected, ApiAnswer answer)
    {
        AssertStatus(expected, answer);
        var error = answer.Body.EnumerateObject().Single().Value;
        Assert.Equal((int)expected, error.GetProperty("code").GetInt32());
        return error.GetProperty("message").GetString()!;
    }

    /// <summary>A flavor made by the admin (public unless said otherwise); returns its id.</summary>
    protected async Task<string> CreateFlavorAsync(string flavorName, int ram = 512, int vcpus = 1, int disk = 1, bool isPublic = true, string? id = null)
    {
        var flavor = new Dictionary<string, object?> { ["name"] = flavorName, ["ram"] = ram, ["vcpus"] = vcpus, ["disk"] = disk, ["os-flavor-access:is_public"] = isPublic };
        if (id is not null) flavor["id"] = id;
        var answer = await PostAsync("/v2.1/flavors", Admin, new { flavor });
        AssertStatus(HttpStatusCode.OK, answer);
        return answer.Body.GetProperty("flavor").GetProperty("id").GetString()!;
    }

    /// <summary>The minimum for a server create: an active public image, a flavor, and one network of project-a.</summary>
    protected async Task<(string Flavor, string Image, string Network)> BootBasicsAsync()
    {
        var flavor = await CreateFlavorAsync("m1.tiny-" + Guid.NewGuid().ToString("N")[..6]);
        var image = Peers.AddImage("cirros");
        var network = Peers.AddNetwork("project-a", "private-a");
        return (flavor, image, network);
    }
}

/// <summary>The catalog of the API under test: every peer lives at a fake address the fake handler serves.</summary>
public sealed class FakeCatalog(string serviceToken) : IServiceCatalog
{
    public Task<Uri> GetEndpointAsync(string serviceType, string? @interface = null, string? region = null, CancellationToken ct = default) => serviceType switch
    {
        ImageClient.ServiceType => Task.FromResult(new Uri("http://image.test/")),
        NetworkClient.ServiceType => Task.FromResult(new Uri("http://network.test/")),
        _ => throw new Platform.Catalog.EndpointNotFoundException(serviceType, @interface ?? "internal", region),
    };

    public Task<string> GetTokenAsync(CancellationToken ct = default) => Task.FromResult(serviceToken);

    public void InvalidateToken(string token) { }
}

/// <summary>The image and network services as the compute API sees them: images, networks and ports kept in memory.</summary>
public sealed class FakePeers
{
    public ConcurrentDictionary<string, JsonObject> Images { get; } = new();
    public ConcurrentDictionary<string, JsonObject> Networks { get; } = new();
    public ConcurrentDictionary<string, JsonObject> Ports { get; } = new();

    /// <summary>Every request the API made to a peer ("GET http://image.test/v2/images/...").</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    public string AddImage(string imageName, string status = "active", int minDisk = 0, int minRam = 0, string? id = null)
    {
        id ??= Guid.NewGuid().ToString();
        Images[id] = new JsonObject
        {
            ["id"] = id, ["name"] = imageName, ["status"] = status, ["visibility"] = "public", ["owner"] = "project-admin", ["size"] = 1024,
            ["disk_format"] = "qcow2", ["container_format"] = "bare", ["min_disk"] = minDisk, ["min_ram"] = minRam,
        };
        return id;
    }

    public string AddNetwork(string projectId, string networkName, bool shared = false, string? id = null)
    {
        id ??= Guid.NewGuid().ToString();
        Networks[id] = new JsonObject
        {
            ["id"] = id, ["name"] = networkName, ["project_id"] = projectId, ["tenant_id"] = projectId, ["status"] = "ACTIVE", ["shared"] = shared,
            ["router:external"] = false, ["subnets"] = new JsonArray(), ["mtu"] = 1450,
        };
        return id;
    }

    public string AddPort(string projectId, string networkId, string? deviceId = null, string? id = null)
    {
        id ??= Guid.NewGuid().ToString();
        Ports[id] = new JsonObject
        {
            ["id"] = id, ["network_id"] = networkId, ["project_id"] = projectId, ["mac_address"] = "fa:16:3e:00:00:01", ["status"] = "DOWN",
            ["device_id"] = deviceId ?? "", ["device_owner"] = "", ["fixed_ips"] = new JsonArray(), ["security_groups"] = new JsonArray(),
        };
        return id;
    }
}

public sealed class FakePeerHandler(FakePeers peers) : HttpMessageHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri!;
        peers.Requests.Enqueue($"{request.Method} {uri}");
        var segments = uri.AbsolutePath.Trim('/').Split('/');
        var query = System.Web.HttpUtility.ParseQueryString(uri.Query);
        if (uri.Host == "image.test" && segments is ["v2", "images", var imageId] && request.Method == HttpMethod.Get)
            return peers.Images.TryGetValue(imageId, out var image) ? Json(image) : Status(HttpStatusCode.NotFound);
        if (uri.Host == "image.test" && segments is ["v2", "images"] && request.Method == HttpMethod.Post)
        {
            var attributes = JsonNode.Parse(await request.Content!.ReadAsStringAsync(cancellationToken))!.AsObject();
            var id = peers.AddImage(attributes["name"]?.GetValue<string>() ?? "", "queued");
            foreach (var (key, value) in attributes) peers.Images[id][key] = value?.DeepClone();
            peers.Images[id]["id"] = id;
            peers.Images[id]["status"] = "queued";
            return Json(peers.Images[id], HttpStatusCode.Created);
        }
        if (uri.Host == "network.test" && segments is ["v2.0", "networks", var networkId] && request.Method == HttpMethod.Get)
            return peers.Networks.TryGetValue(networkId, out var network) ? Json(new JsonObject { ["network"] = network.DeepClone() }) : Status(HttpStatusCode.NotFound);
        if (uri.Host == "network.test" && segments is ["v2.0", "networks"] && request.Method == HttpMethod.Get)
        {
            var matches = peers.Networks.Values.Where(n => query.AllKeys.All(k => k is null || Matches(n, k, query[k]!)));
            return Json(new JsonObject { ["networks"] = new JsonArray([.. matches.Select(n => n.DeepClone())]) });
        }
        if (uri.Host == "network.test" && segments is ["v2.0", "ports", var portId] && request.Method == HttpMethod.Get)
            return peers.Ports.TryGetValue(portId, out var port) ? Json(new JsonObject { ["port"] = port.DeepClone() }) : Status(HttpStatusCode.NotFound);
        if (uri.Host == "network.test" && segments is ["v2.0", "ports"] && request.Method == HttpMethod.Get)
        {
            var matches = peers.Ports.Values.Where(p => query.AllKeys.All(k => k is null || Matches(p, k, query[k]!)));
            return Json(new JsonObject { ["ports"] = new JsonArray([.. matches.Select(p => p.DeepClone())]) });
        }
        return Status(HttpStatusCode.NotFound);
    }

    private static bool Matches(JsonObject resource, string key, string value) =>
        key is "fields" || (resource[key] is { } v && string.Equals(v.ToJsonString().Trim('"'), value, StringComparison.OrdinalIgnoreCase));

    private static HttpResponseMessage Json(JsonNode body, HttpStatusCode status = HttpStatusCode.OK) =>
        new(status) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };

    private static HttpResponseMessage Status(HttpStatusCode status) => new(status) { Content = new StringContent("") };
}

/// <summary>Placement as the API reads it: compute nodes the test sets.</summary>
public sealed class FakePlacement : Scheduler.Contracts.Placement.Placement.PlacementClient
{
    public ConcurrentBag<ComputeNode> Nodes { get; } = [];

    public override AsyncUnaryCall<ListComputeNodesReply> ListComputeNodesAsync(ListComputeNodesRequest request, CallOptions options)
    {
        var reply = new ListComputeNodesReply();
        reply.Nodes.AddRange(Nodes.Where(n => string.IsNullOrEmpty(request.Host) || n.Host == request.Host));
        return new AsyncUnaryCall<ListComputeNodesReply>(Task.FromResult(reply), Task.FromResult(new Metadata()), () => Grpc.Core.Status.DefaultSuccess, () => [], () => { });
    }

    public override ListComputeNodesReply ListComputeNodes(ListComputeNodesRequest request, CallOptions options) =>
        ListComputeNodesAsync(request, options).ResponseAsync.GetAwaiter().GetResult();
}

/// <summary>
/// The conductor as a test plays it: records every message, answers calls (accepting actions
/// unless <see cref="OnAction"/> says otherwise) and, with <see cref="AutoBuild"/>, builds what
/// it is asked to (publishing versions 1 and 2 of each instance: scheduling on a host, then active).
/// </summary>
public sealed class TestConductor
{
    public IRpcClient Rpc { get; set; } = null!;
    public ConcurrentQueue<BuildInstances> Builds { get; } = new();
    public ConcurrentQueue<RequestInstanceAction> Actions { get; } = new();
    public ConcurrentQueue<ExternalInstanceEvents> ExternalEvents { get; } = new();
    public ConcurrentQueue<object> Other { get; } = new();
    public bool AutoBuild { get; set; }
    public string BuildHost { get; set; } = "compute-1";
    public Func<RequestInstanceAction, InstanceActionReply>? OnAction { get; set; }
    public Func<GetConsoleOutput, ConsoleOutputReply>? OnConsoleOutput { get; set; }
    public Func<ListInstanceActions, InstanceActionsReply>? OnListActions { get; set; }
    public Func<ListComputeServices, ComputeServicesReply>? OnListServices { get; set; }
    public Func<UpdateComputeService, UpdateComputeServiceReply>? OnUpdateService { get; set; }
    public Func<DeleteComputeService, DeleteComputeServiceReply>? OnDeleteService { get; set; }

    /// <summary>The instance as the conductor creates it from a build request (version 1, scheduling).</summary>
    public static InstanceInfo Created(BuildInstances build, InstanceToBuild one) => new()
    {
        Uuid = one.Uuid,
        Version = 1,
        ProjectId = build.ProjectId,
        UserId = build.UserId,
        DisplayName = one.DisplayName,
        DisplayDescription = build.Description,
        Hostname = one.Hostname,
        VmState = VmStates.Building,
        TaskState = TaskStates.Scheduling,
        AvailabilityZone = build.AvailabilityZone,
        Flavor = build.Flavor,
        ImageRef = build.Image.Id,
        KeyName = build.KeyName,
        Metadata = build.Metadata,
        SecurityGroups = build.SecurityGroups,
        Tags = build.Tags,
        LaunchIndex = one.LaunchIndex,
        ReservationId = build.ReservationId,
        CreatedAt = DateTime.UtcNow,
        UpdatedAt = DateTime.UtcNow,
    };

    /// <summary>Publishes an instance event, as the conductor does after each change.</summary>
    public Task PublishAsync(InstanceInfo instance) => Rpc.FanoutAsync(new InstanceUpdated(instance));

    internal async Task BuildAsync(BuildInstances build)
    {
        foreach (var one in build.Instances)
        {
            var created = Created(build, one);
            await PublishAsync(created);
            await PublishAsync(created with
            {
                Version = 2, VmState = VmStates.Active, TaskState = null, PowerState = PowerStates.Running, Host = BuildHost, Node = BuildHost,
                LaunchedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow,
                NetworkInfo = build.Networks.Where(n => n.NetworkId is not null).Select((n, i) => new VifInfo
                {
                    PortId = Guid.NewGuid().ToString(), NetworkId = n.NetworkId!, NetworkLabel = "private", MacAddress = $"fa:16:3e:00:00:{i + 10:x2}",
                    Addresses = [new FixedAddress($"10.0.0.{i + 10}", 4)],
                }).ToList(),
            });
        }
    }
}

public sealed class TestConductorConsumer(TestConductor conductor) :
    IConsumer<BuildInstances>, IConsumer<RequestInstanceAction>, IConsumer<GetConsoleOutput>, IConsumer<ListInstanceActions>,
    IConsumer<ExternalInstanceEvents>, IConsumer<ListComputeServices>, IConsumer<UpdateComputeService>, IConsumer<DeleteComputeService>
{
    public async Task Consume(ConsumeContext<BuildInstances> context)
    {
        conductor.Builds.Enqueue(context.Message);
        if (conductor.AutoBuild) await conductor.BuildAsync(context.Message);
    }

    public Task Consume(ConsumeContext<RequestInstanceAction> context)
    {
        conductor.Actions.Enqueue(context.Message);
        return context.RespondAsync(conductor.OnAction?.Invoke(context.Message) ?? new InstanceActionReply { Accepted = true });
    }

    public Task Consume(ConsumeContext<GetConsoleOutput> context) =>
        context.RespondAsync(conductor.OnConsoleOutput?.Invoke(context.Message) ?? new ConsoleOutputReply("line 1\nline 2\n"));

    public Task Consume(ConsumeContext<ListInstanceActions> context) =>
        context.RespondAsync(conductor.OnListActions?.Invoke(context.Message) ?? new InstanceActionsReply([]));

    public Task Consume(ConsumeContext<ExternalInstanceEvents> context)
    {
        conductor.ExternalEvents.Enqueue(context.Message);
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<ListComputeServices> context)
    {
        conductor.Other.Enqueue(context.Message);
        return context.RespondAsync(conductor.OnListServices?.Invoke(context.Message) ?? new ComputeServicesReply([]));
    }

    public Task Consume(ConsumeContext<UpdateComputeService> context)
    {
        conductor.Other.Enqueue(context.Message);
        return context.RespondAsync(conductor.OnUpdateService?.Invoke(context.Message) ?? new UpdateComputeServiceReply(null));
    }

    public Task Consume(ConsumeContext<DeleteComputeService> context)
    {
        conductor.Other.Enqueue(context.Message);
        return context.RespondAsync(conductor.OnDeleteService?.Invoke(context.Message) ?? new DeleteComputeServiceReply(false));
    }
}
