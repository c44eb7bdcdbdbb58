using System.Net;
using System.Text.Json;
using Grpc.Core;
using Microsoft.Extensions.Configuration;
using Platform.Hosting;
using Platform.TestSupport;
using Scheduler.Contracts.Placement;

namespace ComputeApi.Tests;

/// <summary>os-availability-zone from placement's compute nodes.</summary>
public sealed class AvailabilityZoneTests(MySqlFixture mysql, RabbitMqFixture rabbit)
    : InfrastructureTestBase(mysql, rabbit, "capiaz"), IClassFixture<MySqlFixture>, IClassFixture<RabbitMqFixture>
{
    [Fact]
    public async Task Zones_are_listed_from_the_nodes_and_detailed_for_admins()
    {
        Nodes.AddNode(1, "compute-1");
        Nodes.AddNode(2, "compute-2", disabled: true).AvailabilityZone = "zone-b";

        var list = await GetAsync("/v2.1/os-availability-zone", A);
        AssertStatus(HttpStatusCode.OK, list);
        var zones = list.Body.GetProperty("availabilityZoneInfo").EnumerateArray().ToDictionary(z => z.GetProperty("zoneName").GetString()!);
        Assert.True(zones["nova"].GetProperty("zoneState").GetProperty("available").GetBoolean());
        Assert.False(zones["zone-b"].GetProperty("zoneState").GetProperty("available").GetBoolean());
        Assert.Equal(JsonValueKind.Null, zones["nova"].GetProperty("hosts").ValueKind);

        AssertError(HttpStatusCode.Forbidden, await GetAsync("/v2.1/os-availability-zone/detail", A));
        var detail = (await GetAsync("/v2.1/os-availability-zone/detail", Admin)).Body.GetProperty("availabilityZoneInfo")
            .EnumerateArray().Single(z => z.GetProperty("zoneName").GetString() == "nova");
        var service = detail.GetProperty("hosts").GetProperty("compute-1").GetProperty("nova-compute");
        Assert.True(service.GetProperty("available").GetBoolean());
        Assert.True(service.GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task A_zone_made_a_moment_ago_is_accepted_and_an_unknown_one_refused()
    {
        var (flavor, image, _) = await BootBasicsAsync();
        var node = Nodes.AddNode(1, "compute-1");
        node.AvailabilityZone = "zone-a";
        object Server(string zone) => new { server = new { name = "z", flavorRef = flavor, imageRef = image, networks = "none", availability_zone = zone } };

        AssertStatus(HttpStatusCode.Accepted, await PostAsync("/v2.1/servers", A, Server("zone-a"), "2.37"));
        Assert.Equal("The requested availability zone is not available",
            AssertError(HttpStatusCode.BadRequest, await PostAsync("/v2.1/servers", A, Server("zone-new"), "2.37")));

        // An aggregate moves the node to a new zone; a create in it right after is not refused
        // for the list read a moment ago.
        node.AvailabilityZone = "zone-new";
        AssertStatus(HttpStatusCode.Accepted, await PostAsync("/v2.1/servers", A, Server("zone-new"), "2.37"));
        Assert.Equal("The requested availability zone is not available",
            AssertError(HttpStatusCode.BadRequest, await PostAsync("/v2.1/servers", A, Server("zone-gone"), "2.37")));
    }
}

/// <summary>The zone check's reads of placement, with reads the test holds open and lets go.</summary>
public sealed class AvailabilityZoneCheckTests
{
    private sealed class HeldPlacement : Scheduler.Contracts.Placement.Placement.PlacementClient
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<TaskCompletionSource<ListComputeNodesReply>> reads = new();
        private int count;

        public int Count => Volatile.Read(ref count);

        public override AsyncUnaryCall<ListComputeNodesReply> ListComputeNodesAsync(ListComputeNodesRequest request, CallOptions options)
        {
            Interlocked.Increment(ref count);
            var read = new TaskCompletionSource<ListComputeNodesReply>(TaskCreationOptions.RunContinuationsAsynchronously);
            reads.Enqueue(read);
            return new AsyncUnaryCall<ListComputeNodesReply>(read.Task, Task.FromResult(new Metadata()), () => Grpc.Core.Status.DefaultSuccess, () => [], () => { });
        }

        /// <summary>Answers the oldest read held open with nodes in these zones.</summary>
        public void Answer(params string[] zones)
        {
            Assert.True(reads.TryDequeue(out var read));
            var reply = new ListComputeNodesReply();
            reply.Nodes.AddRange(zones.Select(z => new ComputeNode { Host = "h-" + z, AvailabilityZone = z }));
            read.SetResult(reply);
        }
    }

    [Fact]
    public async Task Misses_during_a_read_share_the_one_read_after_it()
    {
        var placement = new HeldPlacement();
        var check = new ComputeApi.Servers.AvailabilityZoneCheck(new ComputeApi.AvailabilityZones.HostZones(new ConfigurationBuilder().Build(), placement), TimeProvider.System);

        var first = check.ResolveAsync("zone-b");
        Assert.True(await Eventually.TrueAsync(() => placement.Count == 1, TimeSpan.FromSeconds(10)));
        // Twenty misses while that read runs: it may predate them, so they wait for the next one.
        var later = Enumerable.Range(0, 20).Select(_ => check.ResolveAsync("zone-b")).ToList();
        await Task.Delay(100);
        Assert.Equal(1, placement.Count);

        placement.Answer("zone-a");
        var refused = await Assert.ThrowsAsync<ApiException>(() => first);
        Assert.Equal("The requested availability zone is not available", refused.Message);
        Assert.True(await Eventually.TrueAsync(() => placement.Count == 2, TimeSpan.FromSeconds(10)));
        placement.Answer("zone-a", "zone-b");
        foreach (var zone in await Task.WhenAll(later)) Assert.Equal("zone-b", zone.Zone);

        // Now a known zone passes from the list kept, and the default zone never asks.
        Assert.Equal(("zone-b", "node-1"), await check.ResolveAsync("zone-b:node-1"));
        Assert.Equal(("nova", (string?)null), await check.ResolveAsync("nova"));
        Assert.Equal(2, placement.Count);
    }
}
