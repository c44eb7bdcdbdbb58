using System.Collections.Concurrent;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Scheduler.Contracts;
using Scheduler.Contracts.Placement;

namespace Conductor.Tests;

/// <summary>What the test placement heard, and which providers refuse claims.</summary>
public sealed class PlacementRecord
{
    public ConcurrentQueue<ClaimAllocationsRequest> Claims { get; } = new();
    public ConcurrentQueue<string> Deletes { get; } = new();
    public ConcurrentQueue<SetComputeServiceStatusRequest> Statuses { get; } = new();
    public ConcurrentQueue<string> Tokens { get; } = new();
    public ConcurrentDictionary<string, bool> FullProviders { get; } = new();
}

/// <summary>The placement gRPC API as the conductor calls it, served on a Kestrel port over HTTP/2 like the scheduler's.</summary>
public sealed class TestPlacementService(PlacementRecord record) : Scheduler.Contracts.Placement.Placement.PlacementBase
{
    public override Task<ClaimAllocationsReply> ClaimAllocations(ClaimAllocationsRequest request, ServerCallContext context)
    {
        Heard(context);
        record.Claims.Enqueue(request);
        var full = request.Allocations.Any(a => record.FullProviders.ContainsKey(a.ProviderUuid));
        return Task.FromResult(new ClaimAllocationsReply { Claimed = !full, Reason = full ? "no room" : "" });
    }

    public override Task<DeleteAllocationsReply> DeleteAllocations(DeleteAllocationsRequest request, ServerCallContext context)
    {
        Heard(context);
        record.Deletes.Enqueue(request.ConsumerUuid);
        return Task.FromResult(new DeleteAllocationsReply { Deleted = true });
    }

    public override Task<SetComputeServiceStatusReply> SetComputeServiceStatus(SetComputeServiceStatusRequest request, ServerCallContext context)
    {
        Heard(context);
        record.Statuses.Enqueue(request);
        return Task.FromResult(new SetComputeServiceStatusReply());
    }

    private void Heard(ServerCallContext context) =>
        record.Tokens.Enqueue(context.RequestHeaders.GetValue(PlacementClientExtensions.TokenMetadataKey) ?? "");
}

public sealed class TestPlacementServer : IAsyncDisposable
{
    private readonly WebApplication app;

    private TestPlacementServer(WebApplication app, PlacementRecord record, string url)
    {
        this.app = app;
        Record = record;
        Url = url;
    }

    public PlacementRecord Record { get; }
    public string Url { get; }

    public static async Task<TestPlacementServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        var record = new PlacementRecord();
        builder.Services.AddSingleton(record);
        builder.Services.AddGrpc();
        var app = builder.Build();
        app.MapGrpcService<TestPlacementService>();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new TestPlacementServer(app, record, address);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
