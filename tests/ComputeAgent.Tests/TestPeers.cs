using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Platform.Catalog;
using Scheduler.Contracts.Placement;

namespace ComputeAgent.Tests;

/// <summary>What the REST and gRPC peers of the agent heard, and the state they keep.</summary>
public sealed class PeerState
{
    public ConcurrentQueue<ReportComputeNodeRequest> NodeReports { get; } = new();
    public ConcurrentQueue<string> AllocationDeletes { get; } = new();
    public ConcurrentQueue<string> PlacementTokens { get; } = new();

    /// <summary>Networks by id (neutron's JSON), ports by id, security groups.</summary>
    public ConcurrentDictionary<string, JsonObject> Networks { get; } = new();
    public ConcurrentDictionary<string, JsonObject> Ports { get; } = new();
    public ConcurrentDictionary<string, JsonObject> SecurityGroups { get; } = new();
    public ConcurrentQueue<string> DeletedPorts { get; } = new();

    /// <summary>Hosts where binding fails.</summary>
    public ConcurrentDictionary<string, bool> UnbindableHosts { get; } = new();

    public ConcurrentDictionary<string, byte[]> ImageData { get; } = new();
    public ConcurrentQueue<string> DeletedImages { get; } = new();

    /// <summary>Volumes by id: status, and the path their connection info names.</summary>
    public ConcurrentDictionary<string, (string Status, string Path)> Volumes { get; } = new();

    /// <summary>Attachments by id: volume, instance, and whether completed.</summary>
    public ConcurrentDictionary<string, (string VolumeId, string Instance, bool Completed)> Attachments { get; } = new();

    public ConcurrentQueue<string> DeletedAttachments { get; } = new();
    public ConcurrentQueue<string> DeletedVolumes { get; } = new();
    public ConcurrentQueue<string> RolledBackDetaches { get; } = new();

    private int nextIp = 10;

    public string AddNetwork(string name)
    {
        var id = Guid.NewGuid().ToString();
        Networks[id] = new JsonObject { ["id"] = id, ["name"] = name, ["project_id"] = "project-a", ["status"] = "ACTIVE", ["shared"] = false, ["subnets"] = new JsonArray("subnet-" + id[..8]) };
        return id;
    }

    public string AddSecurityGroup(string name, string project = "project-a")
    {
        var id = Guid.NewGuid().ToString();
        SecurityGroups[id] = new JsonObject { ["id"] = id, ["name"] = name, ["project_id"] = project };
        return id;
    }

    public JsonObject NewPort(JsonObject body)
    {
        var id = Guid.NewGuid().ToString();
        var networkId = body["network_id"]!.GetValue<string>();
        var ip = body["fixed_ips"]?[0]?["ip_address"]?.GetValue<string>() ?? $"10.0.0.{Interlocked.Increment(ref nextIp)}";
        var port = new JsonObject
        {
            ["id"] = id,
            ["network_id"] = networkId,
            ["project_id"] = body["project_id"]?.GetValue<string>() ?? "project-a",
            ["mac_address"] = $"fa:16:3e:{Random.Shared.Next(0, 255):x2}:{Random.Shared.Next(0, 255):x2}:{Random.Shared.Next(0, 255):x2}",
            ["status"] = "DOWN",
            ["device_id"] = "",
            ["device_owner"] = "",
            ["binding:host_id"] = "",
            ["binding:vif_type"] = "unbound",
            ["fixed_ips"] = new JsonArray(new JsonObject { ["subnet_id"] = "subnet-" + networkId[..8], ["ip_address"] = ip }),
            ["security_groups"] = body["security_groups"]?.DeepClone() ?? new JsonArray(),
        };
        Ports[id] = port;
        Update(port, body);
        return port;
    }

    public void Update(JsonObject port, JsonObject body)
    {
        lock (port)
        {
            foreach (var key in new[] { "device_id", "device_owner", "binding:host_id" })
                if (body[key] is { } value) port[key] = value.DeepClone();
            var host = port["binding:host_id"]!.GetValue<string>();
            port["binding:vif_type"] = host.Length == 0 ? "unbound" : UnbindableHosts.ContainsKey(host) ? "binding_failed" : "ovs";
        }
    }

    public IReadOnlyList<JsonObject> PortsOf(string deviceId) => [.. Ports.Values.Where(p => p["device_id"]?.GetValue<string>() == deviceId)];
}

public sealed class TestPlacementService(PeerState state) : Placement.PlacementBase
{
    public override Task<ReportComputeNodeReply> ReportComputeNode(ReportComputeNodeRequest request, ServerCallContext context)
    {
        state.PlacementTokens.Enqueue(context.RequestHeaders.GetValue("x-auth-token") ?? "");
        state.NodeReports.Enqueue(request);
        return Task.FromResult(new ReportComputeNodeReply { Generation = state.NodeReports.Count });
    }

    public override Task<DeleteAllocationsReply> DeleteAllocations(DeleteAllocationsRequest request, ServerCallContext context)
    {
        state.AllocationDeletes.Enqueue(request.ConsumerUuid);
        return Task.FromResult(new DeleteAllocationsReply { Deleted = true });
    }
}

/// <summary>The catalog the agent sees: every peer at the test server, and a fixed token.</summary>
public sealed class TestCatalog(Uri rest) : IServiceCatalog
{
    public const string Token = "test-service-token";

    public Task<Uri> GetEndpointAsync(string serviceType, string? @interface = null, string? region = null, CancellationToken ct = default) =>
        Task.FromResult(rest);

    public Task<string> GetTokenAsync(CancellationToken ct = default) => Task.FromResult(Token);

    public void InvalidateToken(string token) { }
}

/// <summary>
/// The agent's peers in one process: placement over gRPC on an HTTP/2 port, and the network and
/// image REST APIs (the slices the agent uses) on an HTTP/1.1 port.
/// </summary>
public sealed class TestPeerServer : IAsyncDisposable
{
    private readonly WebApplication app;

    private TestPeerServer(WebApplication app, PeerState state, string grpcUrl, string restUrl)
    {
        this.app = app;
        State = state;
        GrpcUrl = grpcUrl;
        RestUrl = new Uri(restUrl.TrimEnd('/') + "/");
    }

    public PeerState State { get; }
    public string GrpcUrl { get; }
    public Uri RestUrl { get; }

    public static async Task<TestPeerServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(System.Net.IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2);
            k.Listen(System.Net.IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http1);
        });
        var state = new PeerState();
        builder.Services.AddSingleton(state);
        builder.Services.AddGrpc();
        var app = builder.Build();
        app.MapGrpcService<TestPlacementService>();
        MapNetwork(app, state);
        MapImage(app, state);
        MapVolume(app, state);
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.ToList();
        return new TestPeerServer(app, state, addresses[0], addresses[1]);
    }

    private static void MapNetwork(WebApplication app, PeerState state)
    {
        app.MapGet("/v2.0/networks/{id}", (string id) =>
            state.Networks.TryGetValue(id, out var n) ? Results.Json(new JsonObject { ["network"] = n.DeepClone() }) : NotFound("NetworkNotFound"));
        app.MapGet("/v2.0/networks", (HttpRequest request) =>
        {
            var project = request.Query["project_id"].ToString();
            var shared = request.Query["shared"].ToString();
            var list = state.Networks.Values.Where(n =>
                (project.Length == 0 || n["project_id"]!.GetValue<string>() == project) &&
                (shared.Length == 0 || n["shared"]!.GetValue<bool>() == (shared == "true")));
            return Results.Json(new JsonObject { ["networks"] = new JsonArray([.. list.Select(n => n.DeepClone())]) });
        });
        app.MapGet("/v2.0/ports/{id}", (string id) =>
            state.Ports.TryGetValue(id, out var p) ? Results.Json(new JsonObject { ["port"] = p.DeepClone() }) : NotFound("PortNotFound"));
        app.MapGet("/v2.0/ports", (HttpRequest request) =>
        {
            var device = request.Query["device_id"].ToString();
            return Results.Json(new JsonObject { ["ports"] = new JsonArray([.. state.PortsOf(device).Select(p => p.DeepClone())]) });
        });
        app.MapPost("/v2.0/ports", async (HttpRequest request) =>
        {
            var body = (await JsonNode.ParseAsync(request.Body))!["port"]!.AsObject();
            var port = state.NewPort(body);
            return Results.Json(new JsonObject { ["port"] = port.DeepClone() }, statusCode: 201);
        });
        app.MapPut("/v2.0/ports/{id}", async (string id, HttpRequest request) =>
        {
            if (!state.Ports.TryGetValue(id, out var port)) return NotFound("PortNotFound");
            state.Update(port, (await JsonNode.ParseAsync(request.Body))!["port"]!.AsObject());
            return Results.Json(new JsonObject { ["port"] = port.DeepClone() });
        });
        app.MapDelete("/v2.0/ports/{id}", (string id) =>
        {
            if (!state.Ports.TryRemove(id, out _)) return NotFound("PortNotFound");
            state.DeletedPorts.Enqueue(id);
            return Results.NoContent();
        });
        app.MapGet("/v2.0/security-groups", (HttpRequest request) =>
        {
            var project = request.Query["project_id"].ToString();
            var list = state.SecurityGroups.Values.Where(g => project.Length == 0 || g["project_id"]!.GetValue<string>() == project);
            return Results.Json(new JsonObject { ["security_groups"] = new JsonArray([.. list.Select(g => g.DeepClone())]) });
        });
    }

    private static void MapImage(WebApplication app, PeerState state)
    {
        app.MapPut("/v2/images/{id}/file", async (string id, HttpRequest request) =>
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer);
            state.ImageData[id] = buffer.ToArray();
            return Results.NoContent();
        });
        app.MapDelete("/v2/images/{id}", (string id) =>
        {
            state.DeletedImages.Enqueue(id);
            return Results.NoContent();
        });
    }

    /// <summary>The slice of the volume API (cinder v3, attachments) a host uses.</summary>
    private static void MapVolume(WebApplication app, PeerState state)
    {
        app.MapGet("/volumes/{id}", (string id) => state.Volumes.TryGetValue(id, out var v)
            ? Results.Json(new JsonObject { ["volume"] = new JsonObject { ["id"] = id, ["status"] = v.Status, ["size"] = 1 } })
            : Results.Json(new JsonObject { ["itemNotFound"] = new JsonObject { ["message"] = $"Volume {id} could not be found.", ["code"] = 404 } }, statusCode: 404));
        app.MapDelete("/volumes/{id}", (string id) =>
        {
            state.Volumes.TryRemove(id, out _);
            state.DeletedVolumes.Enqueue(id);
            return Results.Accepted();
        });
        app.MapPost("/volumes/{id}/action", async (string id, HttpRequest request) =>
        {
            var body = (await JsonNode.ParseAsync(request.Body))!.AsObject();
            if (body.ContainsKey("os-roll_detaching")) state.RolledBackDetaches.Enqueue(id);
            return Results.Accepted();
        });
        app.MapPost("/attachments", async (HttpRequest request) =>
        {
            var a = (await JsonNode.ParseAsync(request.Body))!["attachment"]!;
            var id = Guid.NewGuid().ToString();
            var volumeId = a["volume_uuid"]!.GetValue<string>();
            state.Attachments[id] = (volumeId, a["instance_uuid"]!.GetValue<string>(), false);
            state.Volumes.AddOrUpdate(volumeId, _ => ("reserved", ""), (_, v) => v with { Status = "reserved" });
            return Results.Json(new JsonObject { ["attachment"] = new JsonObject { ["id"] = id, ["status"] = "reserved" } });
        });
        app.MapPut("/attachments/{id}", (string id) =>
        {
            if (!state.Attachments.TryGetValue(id, out var a)) return Results.NotFound();
            var path = state.Volumes.TryGetValue(a.VolumeId, out var v) ? v.Path : "";
            return Results.Json(new JsonObject
            {
                ["attachment"] = new JsonObject
                {
                    ["id"] = id,
                    ["connection_info"] = new JsonObject { ["driver_volume_type"] = "file", ["data"] = new JsonObject { ["path"] = path, ["format"] = "raw" } },
                },
            });
        });
        app.MapPost("/attachments/{id}/action", (string id) =>
        {
            if (!state.Attachments.TryGetValue(id, out var a)) return Results.NotFound();
            state.Attachments[id] = a with { Completed = true };
            state.Volumes.AddOrUpdate(a.VolumeId, _ => ("in-use", ""), (_, v) => v with { Status = "in-use" });
            return Results.NoContent();
        });
        app.MapDelete("/attachments/{id}", (string id) =>
        {
            if (!state.Attachments.TryRemove(id, out var a)) return Results.NotFound();
            state.DeletedAttachments.Enqueue(id);
            state.Volumes.AddOrUpdate(a.VolumeId, _ => ("available", ""), (_, v) => v with { Status = "available" });
            return Results.Json(new JsonObject { ["attachments"] = new JsonArray() });
        });
    }

    private static IResult NotFound(string type) =>
        Results.Json(new JsonObject { ["NeutronError"] = new JsonObject { ["type"] = type, ["message"] = type, ["detail"] = "" } }, statusCode: 404);

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
