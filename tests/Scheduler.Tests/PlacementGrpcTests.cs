using Grpc.Core;
using Platform.TestSupport;
using Scheduler.Contracts.Placement;

namespace Scheduler.Tests;

/// <summary>The placement gRPC API against the real database: reports, claims, deletes, listings, policy and bad input.</summary>
public sealed class PlacementGrpcTests(MySqlFixture mysql, RabbitMqFixture rabbit)
    : SchedulerTestBase(mysql, rabbit, "placement"), IClassFixture<MySqlFixture>, IClassFixture<RabbitMqFixture>
{
    [Fact]
    public async Task A_report_creates_the_node_and_an_inventory_change_bumps_the_generation()
    {
        var node = Node("cmp-1", vcpus: 4);
        var first = await Admin.ReportComputeNodeAsync(node);
        Assert.Equal(1, first.Generation);
        // The same report again changes nothing placement counts.
        Assert.Equal(1, (await Admin.ReportComputeNodeAsync(node)).Generation);
        node.Inventories[0].Total = 8;
        node.Inventories[0].MaxUnit = 8;
        Assert.Equal(2, (await Admin.ReportComputeNodeAsync(node)).Generation);

        var listed = Assert.Single((await Admin.ListComputeNodesAsync(new ListComputeNodesRequest())).Nodes);
        Assert.Equal(node.ProviderUuid, listed.ProviderUuid);
        Assert.Equal("cmp-1", listed.Host);
        Assert.Equal(8, listed.Inventories.Single(i => i.ResourceClass == "VCPU").Total);
        Assert.True(listed.Up);
        Assert.Equal("nova", listed.AvailabilityZone);
        Assert.Equal(2, listed.Generation);
    }

    [Fact]
    public async Task Claims_fit_capacity_times_ratio_replace_earlier_ones_and_are_deleted()
    {
        var node = Node("cmp-2", vcpus: 2, ramMb: 4096, cpuRatio: 2);
        await Admin.ReportComputeNodeAsync(node);
        var a = Guid.NewGuid().ToString();
        var b = Guid.NewGuid().ToString();

        Assert.True((await Admin.ClaimAllocationsAsync(Claim(a, node.ProviderUuid, ("VCPU", 2), ("MEMORY_MB", 1024)))).Claimed);
        Assert.True((await Admin.ClaimAllocationsAsync(Claim(b, node.ProviderUuid, ("VCPU", 2), ("MEMORY_MB", 1024)))).Claimed);
        var refused = await Admin.ClaimAllocationsAsync(Claim(Guid.NewGuid().ToString(), node.ProviderUuid, ("VCPU", 1)));
        Assert.False(refused.Claimed);
        Assert.Contains("VCPU", refused.Reason);
        // Beyond max_unit in one allocation.
        Assert.False((await Admin.ClaimAllocationsAsync(Claim(Guid.NewGuid().ToString(), node.ProviderUuid, ("MEMORY_MB", 5000)))).Claimed);

        // A claim replaces what the consumer held: a shrinks to 1 VCPU.
        Assert.True((await Admin.ClaimAllocationsAsync(Claim(a, node.ProviderUuid, ("VCPU", 1)))).Claimed);
        var held = await Admin.GetAllocationsAsync(new GetAllocationsRequest { ConsumerUuid = a });
        Assert.Equal(1, Assert.Single(held.Allocations).Resources["VCPU"]);
        Assert.False(held.Allocations[0].Resources.ContainsKey("MEMORY_MB"));
        Assert.Equal("p1", held.ProjectId);

        var listed = Assert.Single((await Admin.ListComputeNodesAsync(new ListComputeNodesRequest { Host = "cmp-2" })).Nodes);
        Assert.Equal(3, listed.Used["VCPU"]);
        Assert.Equal(2, listed.RunningVms);

        Assert.True((await Admin.DeleteAllocationsAsync(new DeleteAllocationsRequest { ConsumerUuid = b })).Deleted);
        Assert.False((await Admin.DeleteAllocationsAsync(new DeleteAllocationsRequest { ConsumerUuid = b })).Deleted);
        listed = Assert.Single((await Admin.ListComputeNodesAsync(new ListComputeNodesRequest { Host = "cmp-2" })).Nodes);
        Assert.Equal(1, listed.Used["VCPU"]);
        Assert.Equal(1, listed.RunningVms);
        Assert.Empty((await Admin.ListComputeNodesAsync(new ListComputeNodesRequest { Host = "nowhere" })).Nodes);
    }

    [Fact]
    public async Task A_claim_on_an_unknown_provider_or_class_it_lacks_is_refused()
    {
        var node = Node("cmp-3");
        await Admin.ReportComputeNodeAsync(node);
        Assert.False((await Admin.ClaimAllocationsAsync(Claim(Guid.NewGuid().ToString(), Guid.NewGuid().ToString(), ("VCPU", 1)))).Claimed);
        Assert.False((await Admin.ClaimAllocationsAsync(Claim(Guid.NewGuid().ToString(), node.ProviderUuid, ("CUSTOM_GPU", 1)))).Claimed);
        Assert.Equal(0, await CountAsync("allocations"));
    }

    [Fact]
    public async Task Bad_input_is_InvalidArgument_and_writes_nothing()
    {
        var node = Node("cmp-4");
        await Admin.ReportComputeNodeAsync(node);
        var before = await CountAsync("resource_providers");

        Assert.Equal(StatusCode.InvalidArgument, await StatusOf(() => Admin.ClaimAllocationsAsync(Claim(Guid.NewGuid().ToString(), node.ProviderUuid, ("NOT_A_CLASS", 1))).ResponseAsync));
        Assert.Equal(StatusCode.InvalidArgument, await StatusOf(() => Admin.ClaimAllocationsAsync(Claim(Guid.NewGuid().ToString(), node.ProviderUuid, ("VCPU", -1))).ResponseAsync));
        Assert.Equal(StatusCode.InvalidArgument, await StatusOf(() => Admin.ClaimAllocationsAsync(Claim("", node.ProviderUuid, ("VCPU", 1))).ResponseAsync));
        Assert.Equal(StatusCode.InvalidArgument, await StatusOf(() => Admin.ClaimAllocationsAsync(Claim(Guid.NewGuid().ToString(), "", ("VCPU", 1))).ResponseAsync));
        Assert.Equal(StatusCode.InvalidArgument, await StatusOf(() => Admin.ClaimAllocationsAsync(new ClaimAllocationsRequest { ConsumerUuid = Guid.NewGuid().ToString() }).ResponseAsync));
        Assert.Equal(StatusCode.InvalidArgument, await StatusOf(() => Admin.DeleteAllocationsAsync(new DeleteAllocationsRequest()).ResponseAsync));

        var badClass = Node("cmp-5");
        badClass.Inventories.Add(new Inventory { ResourceClass = "BOGUS", Total = 1 });
        Assert.Equal(StatusCode.InvalidArgument, await StatusOf(() => Admin.ReportComputeNodeAsync(badClass).ResponseAsync));
        var negative = Node("cmp-6");
        negative.Inventories[0].Total = -4;
        Assert.Equal(StatusCode.InvalidArgument, await StatusOf(() => Admin.ReportComputeNodeAsync(negative).ResponseAsync));
        Assert.Equal(StatusCode.InvalidArgument, await StatusOf(() => Admin.ReportComputeNodeAsync(Node("cmp-7", uuid: "not-a-uuid")).ResponseAsync));

        Assert.Equal(before, await CountAsync("resource_providers"));
        Assert.Equal(0, await CountAsync("allocations"));
        Assert.Equal(0, await CountAsync("consumers"));
    }

    [Fact]
    public async Task Calls_need_a_valid_token_with_the_admin_or_service_role()
    {
        var list = new ListComputeNodesRequest();
        Assert.Equal(StatusCode.Unauthenticated, await StatusOf(() => Placement().ListComputeNodesAsync(list).ResponseAsync));
        Assert.Equal(StatusCode.Unauthenticated, await StatusOf(() => Placement("garbage").ListComputeNodesAsync(list).ResponseAsync));
        Assert.Equal(StatusCode.Unauthenticated, await StatusOf(() => Placement(Tokens.Issue("p", DateTimeOffset.UtcNow.AddHours(-2), "admin")).ListComputeNodesAsync(list).ResponseAsync));
        Assert.Equal(StatusCode.PermissionDenied, await StatusOf(() => Placement(Tokens.Issue("p", "member", "reader")).ListComputeNodesAsync(list).ResponseAsync));
        Assert.Equal(StatusCode.PermissionDenied, await StatusOf(() => Placement(Tokens.Issue("p", "member")).ReportComputeNodeAsync(Node("x")).ResponseAsync));
        Assert.Equal(StatusCode.OK, await StatusOf(() => Placement(Tokens.Issue("service", "service")).ListComputeNodesAsync(list).ResponseAsync));
        Assert.Equal(0, await CountAsync("resource_providers"));
    }

    [Fact]
    public async Task Service_status_and_aggregates_show_in_the_listing()
    {
        var node = Node("cmp-8");
        await Admin.ReportComputeNodeAsync(node);
        await Admin.SetComputeServiceStatusAsync(new SetComputeServiceStatusRequest { Host = "cmp-8", Disabled = true, DisabledReason = "maintenance", ForcedDown = true });
        var aggregate = new PutAggregateRequest { Uuid = Guid.NewGuid().ToString(), Name = "agg1", AvailabilityZone = "az1" };
        aggregate.Hosts.Add("cmp-8");
        await Admin.PutAggregateAsync(aggregate);

        var listed = Assert.Single((await Admin.ListComputeNodesAsync(new ListComputeNodesRequest())).Nodes);
        Assert.True(listed.Disabled);
        Assert.Equal("maintenance", listed.DisabledReason);
        Assert.True(listed.ForcedDown);
        Assert.False(listed.Up);
        Assert.Equal("az1", listed.AvailabilityZone);

        // Status given before a host reports waits for it.
        await Admin.SetComputeServiceStatusAsync(new SetComputeServiceStatusRequest { Host = "cmp-9", Disabled = true });
        await Admin.ReportComputeNodeAsync(Node("cmp-9"));
        Assert.True(Assert.Single((await Admin.ListComputeNodesAsync(new ListComputeNodesRequest { Host = "cmp-9" })).Nodes).Disabled);

        await Admin.DeleteAggregateAsync(new DeleteAggregateRequest { Uuid = aggregate.Uuid });
        Assert.Equal("nova", Assert.Single((await Admin.ListComputeNodesAsync(new ListComputeNodesRequest { Host = "cmp-8" })).Nodes).AvailabilityZone);
    }
}
