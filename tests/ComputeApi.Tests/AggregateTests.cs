using System.Collections.Concurrent;
using System.Net;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Platform.TestSupport;
using Scheduler.Contracts.Placement;
using PlacementClient = Scheduler.Contracts.Placement.Placement.PlacementClient;

namespace ComputeApi.Tests;

/// <summary>
/// Placement as the infrastructure APIs use it: compute nodes the test sets, and the aggregates
/// the API pushes (recorded; <see cref="FailPushes"/> makes pushes fail as an unreachable placement would).
/// </summary>
public sealed class RecordingPlacement : PlacementClient
{
    public ConcurrentQueue<ComputeNode> Nodes { get; } = new();
    public ConcurrentQueue<PutAggregateRequest> Puts { get; } = new();
    public ConcurrentQueue<string> Deletes { get; } = new();
    private volatile bool failPushes;

    public bool FailPushes { get => failPushes; set => failPushes = value; }

    /// <summary>A node with 8 VCPU, 16 GiB and 100 GB, <paramref name="used"/> as given.</summary>
    public ComputeNode AddNode(int id, string host, bool up = true, bool disabled = false, long vcpusUsed = 0, long ramUsed = 0, long diskUsed = 0, int runningVms = 0)
    {
        var node = new ComputeNode
        {
            ProviderUuid = Guid.NewGuid().ToString(), Id = id, Host = host, HypervisorHostname = host + ".example.org", HypervisorType = "fake",
            HypervisorVersion = 1000, HostIp = $"192.0.2.{id}", CpuInfo = """{"arch": "x86_64", "model": "fake"}""", RunningVms = runningVms,
            Up = up, Disabled = disabled, DisabledReason = disabled ? "maintenance" : "",
        };
        node.Inventories.Add(new Inventory { ResourceClass = "VCPU", Total = 8, AllocationRatio = 16 });
        node.Inventories.Add(new Inventory { ResourceClass = "MEMORY_MB", Total = 16384, Reserved = 512, AllocationRatio = 1.5 });
        node.Inventories.Add(new Inventory { ResourceClass = "DISK_GB", Total = 100, AllocationRatio = 1 });
        node.Used.Add("VCPU", vcpusUsed);
        node.Used.Add("MEMORY_MB", ramUsed);
        node.Used.Add("DISK_GB", diskUsed);
        Nodes.Enqueue(node);
        return node;
    }

    private static AsyncUnaryCall<T> Answer<T>(T reply) =>
        new(Task.FromResult(reply), Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => [], () => { });

    private static AsyncUnaryCall<T> Unavailable<T>() =>
        new(Task.FromException<T>(new RpcException(new Status(StatusCode.Unavailable, "placement is down"))), Task.FromResult(new Metadata()),
            () => new Status(StatusCode.Unavailable, "placement is down"), () => [], () => { });

    public override AsyncUnaryCall<ListComputeNodesReply> ListComputeNodesAsync(ListComputeNodesRequest request, CallOptions options)
    {
        var reply = new ListComputeNodesReply();
        reply.Nodes.AddRange(Nodes.Where(n => string.IsNullOrEmpty(request.Host) || n.Host == request.Host));
        return Answer(reply);
    }

    public override AsyncUnaryCall<PutAggregateReply> PutAggregateAsync(PutAggregateRequest request, CallOptions options)
    {
        if (FailPushes) return Unavailable<PutAggregateReply>();
        Puts.Enqueue(request.Clone());
        return Answer(new PutAggregateReply());
    }

    public override AsyncUnaryCall<DeleteAggregateReply> DeleteAggregateAsync(DeleteAggregateRequest request, CallOptions options)
    {
        if (FailPushes) return Unavailable<DeleteAggregateReply>();
        Deletes.Enqueue(request.Uuid);
        return Answer(new DeleteAggregateReply());
    }
}

/// <summary>The test base of the infrastructure APIs: the fixture with <see cref="RecordingPlacement"/> in the API's container.</summary>
public abstract class InfrastructureTestBase(MySqlFixture mysql, RabbitMqFixture rabbit, string name) : ComputeApiTestBase(mysql, rabbit, name)
{
    protected RecordingPlacement Nodes { get; } = new();

    protected override void ConfigureTestServices(IServiceCollection services) => services.AddSingleton<PlacementClient>(Nodes);
}

/// <summary>os-aggregates: zones, hosts, metadata, nova's refusals, and the pushes to placement.</summary>
public sealed class AggregateTests(MySqlFixture mysql, RabbitMqFixture rabbit)
    : InfrastructureTestBase(mysql, rabbit, "capiagg"), IClassFixture<MySqlFixture>, IClassFixture<RabbitMqFixture>
{
    private async Task<int> CreateAsync(string name, string? zone = null)
    {
        var answer = await PostAsync("/v2.1/os-aggregates", Admin, new { aggregate = new { name, availability_zone = zone } });
        AssertStatus(HttpStatusCode.OK, answer);
        return answer.Body.GetProperty("aggregate").GetProperty("id").GetInt32();
    }

    private Task<ApiAnswer> ActionAsync(int id, object body, string? microversion = null) => PostAsync($"/v2.1/os-aggregates/{id}/action", Admin, body, microversion);

    [Fact]
    public async Task An_aggregate_with_a_zone_is_created_shown_and_pushed_with_its_hosts()
    {
        Nodes.AddNode(1, "compute-1");
        Nodes.AddNode(2, "compute-2");
        var created = await PostAsync("/v2.1/os-aggregates", Admin, new { aggregate = new { name = "rack-1", availability_zone = "zone-a" } }, "2.41");
        AssertStatus(HttpStatusCode.OK, created);
        var body = created.Body.GetProperty("aggregate");
        Assert.Equal("zone-a", body.GetProperty("availability_zone").GetString());
        Assert.False(body.TryGetProperty("hosts", out _));
        Assert.False(body.GetProperty("deleted").GetBoolean());
        var uuid = body.GetProperty("uuid").GetString()!;
        var id = body.GetProperty("id").GetInt32();

        var added = await ActionAsync(id, new { add_host = new { host = "compute-1" } }, "2.41");
        AssertStatus(HttpStatusCode.OK, added);
        var aggregate = added.Body.GetProperty("aggregate");
        Assert.Equal(["compute-1"], aggregate.GetProperty("hosts").EnumerateArray().Select(h => h.GetString()));
        Assert.Equal("zone-a", aggregate.GetProperty("metadata").GetProperty("availability_zone").GetString());
        Assert.NotEqual(JsonValueKindNull, aggregate.GetProperty("updated_at").ValueKind);
        var pushed = Nodes.Puts.Last(p => p.Uuid == uuid);
        Assert.Equal(["compute-1"], pushed.Hosts);
        Assert.Equal("zone-a", pushed.AvailabilityZone);
        Assert.Equal("rack-1", pushed.Name);

        var metadata = await ActionAsync(id, new { set_metadata = new { metadata = new Dictionary<string, string?> { ["ssd"] = "true" } } });
        AssertStatus(HttpStatusCode.OK, metadata);
        Assert.Equal("true", metadata.Body.GetProperty("aggregate").GetProperty("metadata").GetProperty("ssd").GetString());
        Assert.Equal("true", Nodes.Puts.Last(p => p.Uuid == uuid).Metadata["ssd"]);
        Assert.False(metadata.Body.GetProperty("aggregate").TryGetProperty("uuid", out _));

        // The zone shows in the zone list and on the host's compute service.
        var zones = await GetAsync("/v2.1/os-availability-zone", A);
        AssertStatus(HttpStatusCode.OK, zones);
        var names = zones.Body.GetProperty("availabilityZoneInfo").EnumerateArray().Select(z => z.GetProperty("zoneName").GetString()).ToList();
        Assert.Contains("zone-a", names);
        Assert.Contains("nova", names);

        var listed = await GetAsync("/v2.1/os-aggregates", Admin);
        Assert.Single(listed.Body.GetProperty("aggregates").EnumerateArray(), a => a.GetProperty("id").GetInt32() == id);
        var shown = await GetAsync($"/v2.1/os-aggregates/{id}", Admin);
        Assert.Equal("rack-1", shown.Body.GetProperty("aggregate").GetProperty("name").GetString());

        var removed = await ActionAsync(id, new { remove_host = new { host = "compute-1" } });
        AssertStatus(HttpStatusCode.OK, removed);
        Assert.Empty(Nodes.Puts.Last(p => p.Uuid == uuid).Hosts);
        AssertStatus(HttpStatusCode.OK, await DeleteAsync($"/v2.1/os-aggregates/{id}", Admin));
        Assert.Contains(uuid, Nodes.Deletes);
        AssertError(HttpStatusCode.NotFound, await GetAsync($"/v2.1/os-aggregates/{id}", Admin));
        // The name is free again.
        await CreateAsync("rack-1");
    }

    private const System.Text.Json.JsonValueKind JsonValueKindNull = System.Text.Json.JsonValueKind.Null;

    [Fact]
    public async Task Nova_refusals_duplicate_name_unknown_host_non_empty_delete_and_zone_clash()
    {
        Nodes.AddNode(3, "compute-3");
        var id = await CreateAsync("dup", "zone-x");
        Assert.Contains("already exists", AssertError(HttpStatusCode.Conflict, await PostAsync("/v2.1/os-aggregates", Admin, new { aggregate = new { name = "dup" } })));
        AssertError(HttpStatusCode.BadRequest, await PostAsync("/v2.1/os-aggregates", Admin, new { aggregate = new { name = "" } }));
        AssertError(HttpStatusCode.BadRequest, await PostAsync("/v2.1/os-aggregates", Admin, new { aggregate = new { name = "x", extra = 1 } }));
        AssertError(HttpStatusCode.Forbidden, await PostAsync("/v2.1/os-aggregates", A, new { aggregate = new { name = "mine" } }));

        Assert.Contains("Compute host no-such-host could not be found",
            AssertError(HttpStatusCode.NotFound, await ActionAsync(id, new { add_host = new { host = "no-such-host" } })));
        AssertStatus(HttpStatusCode.OK, await ActionAsync(id, new { add_host = new { host = "compute-3" } }));
        AssertError(HttpStatusCode.Conflict, await ActionAsync(id, new { add_host = new { host = "compute-3" } }));

        // A host in zone-x cannot join an aggregate of zone-y...
        var other = await CreateAsync("other", "zone-y");
        Assert.Contains("zone-x", AssertError(HttpStatusCode.Conflict, await ActionAsync(other, new { add_host = new { host = "compute-3" } })));
        // ...nor can an aggregate holding it move to another zone while another aggregate holds it in zone-x.
        var plain = await CreateAsync("plain");
        AssertStatus(HttpStatusCode.OK, await ActionAsync(plain, new { add_host = new { host = "compute-3" } }));
        AssertError(HttpStatusCode.BadRequest, await PutAsync($"/v2.1/os-aggregates/{plain}", Admin, new { aggregate = new { availability_zone = "zone-z" } }));
        AssertError(HttpStatusCode.BadRequest, await ActionAsync(plain, new { set_metadata = new { metadata = new { availability_zone = "zone-z" } } }));
        var renamed = await PutAsync($"/v2.1/os-aggregates/{plain}", Admin, new { aggregate = new { name = "plain-2" } });
        AssertStatus(HttpStatusCode.OK, renamed);
        AssertError(HttpStatusCode.Conflict, await PutAsync($"/v2.1/os-aggregates/{plain}", Admin, new { aggregate = new { name = "dup" } }));

        // nova refuses to delete an aggregate that still has hosts (400).
        Assert.Contains("not empty", AssertError(HttpStatusCode.BadRequest, await DeleteAsync($"/v2.1/os-aggregates/{id}", Admin)));
        AssertError(HttpStatusCode.NotFound, await ActionAsync(id, new { remove_host = new { host = "compute-9" } }));
        AssertError(HttpStatusCode.NotFound, await GetAsync("/v2.1/os-aggregates/9999", Admin));
        AssertError(HttpStatusCode.NotFound, await GetAsync("/v2.1/os-aggregates/dup", Admin));
        AssertError(HttpStatusCode.BadRequest, await ActionAsync(id, new { no_such_action = new { } }));
    }

    [Fact]
    public async Task A_failed_push_does_not_fail_the_call_and_is_retried_on_the_next_change()
    {
        Nodes.AddNode(4, "compute-4");
        Nodes.FailPushes = true;
        var id = await CreateAsync("flaky", "zone-f");
        AssertStatus(HttpStatusCode.OK, await ActionAsync(id, new { add_host = new { host = "compute-4" } }));
        Assert.DoesNotContain(Nodes.Puts, p => p.Name == "flaky");

        Nodes.FailPushes = false;
        await CreateAsync("another");
        var pushed = Nodes.Puts.Last(p => p.Name == "flaky");
        Assert.Equal(["compute-4"], pushed.Hosts);
        Assert.Equal("zone-f", pushed.AvailabilityZone);
    }

    [Fact]
    public async Task The_start_up_reconciliation_pushes_every_aggregate_again()
    {
        Nodes.AddNode(5, "compute-5");
        var id = await CreateAsync("kept", "zone-k");
        AssertStatus(HttpStatusCode.OK, await ActionAsync(id, new { add_host = new { host = "compute-5" } }));
        var before = Nodes.Puts.Count(p => p.Name == "kept");

        // What AggregateReconciler does at start: everything owed, then pushed.
        var pusher = Factory.Services.GetRequiredService<ComputeApi.Aggregates.AggregatePusher>();
        await pusher.MarkAllOwedAsync(CancellationToken.None);
        Assert.True(await pusher.PushPendingAsync());
        Assert.True(Nodes.Puts.Count(p => p.Name == "kept") > before);
        Assert.Equal(["compute-5"], Nodes.Puts.Last(p => p.Name == "kept").Hosts);
        // Nothing is owed any more.
        await using var c = new MySqlConnector.MySqlConnection(Database);
        Assert.True(await Eventually.TrueAsync(async () =>
            await Dapper.SqlMapper.ExecuteScalarAsync<int>(c, "SELECT COUNT(*) FROM aggregates WHERE pushed_at IS NULL OR pushed_at < changed_at") == 0,
            TimeSpan.FromSeconds(10)), "aggregates are still owed to placement");
    }
}
