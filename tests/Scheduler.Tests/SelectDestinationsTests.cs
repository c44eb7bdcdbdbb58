using Microsoft.Extensions.DependencyInjection;
using Platform.TestSupport;
using Scheduler.Contracts;
using Scheduler.Contracts.Placement;

namespace Scheduler.Tests;

/// <summary>select_destinations over the real bus, as the conductor calls it, against nodes reported through placement.</summary>
public sealed class SelectDestinationsTests(MySqlFixture mysql, RabbitMqFixture rabbit)
    : SchedulerTestBase(mysql, rabbit, "select"), IClassFixture<MySqlFixture>, IClassFixture<RabbitMqFixture>
{
    [Fact]
    public async Task The_schedulers_claim_holds_only_at_the_generation_it_checked_and_moves_a_consumer_whole()
    {
        var a = Node("gen-a");
        var b = Node("gen-b");
        var generationA = (await Admin.ReportComputeNodeAsync(a)).Generation;
        var generationB = (await Admin.ReportComputeNodeAsync(b)).Generation;
        var store = Factory.Services.GetRequiredService<Scheduler.Placement.PlacementStore>();
        var ids = (await Generations()).ToDictionary(g => g.Uuid, g => g.Id);
        long IdOf(ReportComputeNodeRequest n) => ids[n.ProviderUuid];
        var one = new Dictionary<string, long> { ["VCPU"] = 1, ["MEMORY_MB"] = 64 };

        var first = await store.ClaimAtGenerationAsync("c1", "p1", "u1", new(IdOf(a), a.ProviderUuid, generationA, one));
        Assert.True(first.Claimed, first.Reason);
        Assert.Equal(generationA + 1, first.Generations[a.ProviderUuid]);

        // Checked against a view of a that is one change behind: refused, and nothing of c2 written.
        var stale = await store.ClaimAtGenerationAsync("c2", "p1", "u1", new(IdOf(a), a.ProviderUuid, generationA, one));
        Assert.False(stale.Claimed);
        Assert.True(stale.Conflict);
        Assert.Equal(1, await CountAsync("consumers"));
        Assert.Equal(2, (await UsageAsync()).Count);

        // c1 claimed again on b: its allocation moves, and a's generation moves with its usage.
        var moved = await store.ClaimAtGenerationAsync("c1", "p1", "u1", new(IdOf(b), b.ProviderUuid, generationB, one));
        Assert.True(moved.Claimed, moved.Reason);
        var usage = await UsageAsync();
        Assert.Equal(1, usage[(b.ProviderUuid, "VCPU")]);
        Assert.DoesNotContain((a.ProviderUuid, "VCPU"), usage.Keys);
        var generations = await Generations();
        Assert.Equal(generationA + 2, generations.Single(g => g.Uuid == a.ProviderUuid).Generation);
        Assert.Equal(generationB + 1, generations.Single(g => g.Uuid == b.ProviderUuid).Generation);
    }

    private async Task<List<(long Id, string Uuid, long Generation)>> Generations()
    {
        await using var c = new MySqlConnector.MySqlConnection(Database);
        return [.. await Dapper.SqlMapper.QueryAsync<(long, string, long)>(c, "SELECT id, uuid, generation FROM resource_providers")];
    }

    [Fact]
    public async Task A_fitting_request_gets_a_claimed_primary_and_alternates()
    {
        var big = Node("big", vcpus: 16, ramMb: 32768);
        await Admin.ReportComputeNodeAsync(big);
        await Admin.ReportComputeNodeAsync(Node("mid", vcpus: 8, ramMb: 16384));
        await Admin.ReportComputeNodeAsync(Node("small", vcpus: 2, ramMb: 2048));
        await Admin.ReportComputeNodeAsync(Node("tiny", vcpus: 1, ramMb: 256));

        var request = Select(Flavor(vcpus: 2, ram: 1024, root: 10));
        var selections = Assert.Single(await Scheduler().CallSelectDestinationsAsync(request));
        // Spread: the emptiest host first; alternates up to max_attempts - 1; tiny does not fit.
        Assert.Equal(["big", "mid", "small"], selections.Select(s => s.ServiceHost));
        Assert.Equal(big.ProviderUuid, selections[0].ComputeNodeUuid);
        Assert.Equal("nova", selections[0].AvailabilityZone);
        Assert.Equal(new Dictionary<string, long> { ["VCPU"] = 2, ["MEMORY_MB"] = 1024, ["DISK_GB"] = 10 }, selections[1].Allocation);

        var held = await Admin.GetAllocationsAsync(new GetAllocationsRequest { ConsumerUuid = request.InstanceUuids[0] });
        Assert.Equal(big.ProviderUuid, Assert.Single(held.Allocations).ProviderUuid);
        Assert.Equal(1, await CountAsync("consumers"));
    }

    [Fact]
    public async Task No_valid_host_claims_nothing_even_for_the_instances_that_fitted()
    {
        await Admin.ReportComputeNodeAsync(Node("only", vcpus: 4, ramMb: 8192));
        var tooBig = await Assert.ThrowsAsync<NoValidHostException>(() => Scheduler().CallSelectDestinationsAsync(Select(Flavor(vcpus: 8))));
        Assert.Equal(FilterSchedulerTexts.NotEnoughHosts, tooBig.Reason);

        // Three of 2 vCPUs on a 4-vCPU host: the first two fit, the third does not; all are given back.
        await Assert.ThrowsAsync<NoValidHostException>(() => Scheduler().CallSelectDestinationsAsync(Select(Flavor(vcpus: 2), count: 3)));
        Assert.Equal(0, await CountAsync("allocations"));

        // Two do fit, on the one host.
        var two = await Scheduler().CallSelectDestinationsAsync(Select(Flavor(vcpus: 2), count: 2));
        Assert.Equal(2, two.Count);
        Assert.All(two, s => Assert.Equal("only", s[0].ServiceHost));
    }

    [Fact]
    public async Task Anti_affinity_spreads_a_group_and_refuses_when_hosts_run_out()
    {
        foreach (var h in new[] { "aa-1", "aa-2", "aa-3" }) await Admin.ReportComputeNodeAsync(Node(h));
        var group = new InstanceGroupSpec { Uuid = Guid.NewGuid().ToString(), Policy = "anti-affinity", Hosts = ["aa-1"] };
        var placed = await Scheduler().CallSelectDestinationsAsync(Select(Flavor(), count: 2, s => s with { InstanceGroup = group }));
        Assert.Equal(["aa-2", "aa-3"], placed.Select(s => s[0].ServiceHost).Order());
        // No alternate of an instance is a host the group already uses (other than through a reschedule).
        await Assert.ThrowsAsync<NoValidHostException>(() => Scheduler().CallSelectDestinationsAsync(Select(Flavor(), count: 3, s => s with { InstanceGroup = group })));

        var affinity = new InstanceGroupSpec { Uuid = Guid.NewGuid().ToString(), Policy = "affinity" };
        var together = await Scheduler().CallSelectDestinationsAsync(Select(Flavor(), count: 3, s => s with { InstanceGroup = affinity }));
        Assert.Single(together.Select(s => s[0].ServiceHost).Distinct());
    }

    [Fact]
    public async Task Availability_zone_requested_host_and_retry_narrow_the_hosts()
    {
        foreach (var h in new[] { "z-1", "z-2", "z-3" }) await Admin.ReportComputeNodeAsync(Node(h));
        var aggregate = new PutAggregateRequest { Uuid = Guid.NewGuid().ToString(), Name = "az-b", AvailabilityZone = "az-b" };
        aggregate.Hosts.Add("z-3");
        await Admin.PutAggregateAsync(aggregate);

        var inB = Assert.Single(await Scheduler().CallSelectDestinationsAsync(Select(Flavor(), change: s => s with { AvailabilityZone = "az-b" })));
        Assert.Equal("z-3", Assert.Single(inB).ServiceHost);
        Assert.Equal("az-b", inB[0].AvailabilityZone);

        var inNova = Assert.Single(await Scheduler().CallSelectDestinationsAsync(Select(Flavor(), change: s => s with { AvailabilityZone = "nova" })));
        Assert.DoesNotContain(inNova, s => s.ServiceHost == "z-3");

        var retried = Assert.Single(await Scheduler().CallSelectDestinationsAsync(Select(Flavor(), change: s => s with { IgnoreHosts = ["z-1", "z-2"] })));
        Assert.Equal("z-3", Assert.Single(retried).ServiceHost);

        var forced = Assert.Single(await Scheduler().CallSelectDestinationsAsync(Select(Flavor(), change: s => s with { RequestedHost = "z-2" })));
        Assert.Equal("z-2", Assert.Single(forced).ServiceHost);

        await Assert.ThrowsAsync<NoValidHostException>(() => Scheduler().CallSelectDestinationsAsync(
            Select(Flavor(), change: s => s with { AvailabilityZone = "az-b", IgnoreHosts = ["z-3"] })));
    }

    [Fact]
    public async Task Disabled_hosts_and_failing_builds_are_avoided()
    {
        await Admin.ReportComputeNodeAsync(Node("ok-1", ramMb: 4096));
        await Admin.ReportComputeNodeAsync(Node("failing", ramMb: 65536, failedBuilds: 2));
        await Admin.ReportComputeNodeAsync(Node("off", ramMb: 65536));
        await Admin.SetComputeServiceStatusAsync(new SetComputeServiceStatusRequest { Host = "off", Disabled = true });

        var selections = Assert.Single(await Scheduler().CallSelectDestinationsAsync(Select(Flavor())));
        Assert.Equal(["ok-1", "failing"], selections.Select(s => s.ServiceHost));
    }
}

internal static class FilterSchedulerTexts
{
    public const string NotEnoughHosts = "There are not enough hosts available.";
}
