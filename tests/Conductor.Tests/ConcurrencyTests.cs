using System.Diagnostics;
using ComputeAgent.Contracts;
using Conductor.Contracts;
using Platform.TestSupport;
using Xunit.Abstractions;

namespace Conductor.Tests;

/// <summary>Many builds and agent updates at once: each instance placed once, every version published once, in order.</summary>
public sealed class ConcurrencyTests(MySqlFixture mysql, RabbitMqFixture rabbit, ITestOutputHelper output)
    : ConductorTestBase(mysql, rabbit, "condload"), IClassFixture<MySqlFixture>, IClassFixture<RabbitMqFixture>
{
    [Fact]
    public async Task Many_builds_at_once_are_each_placed_once_and_go_active()
    {
        const int count = 60;
        var uuids = Enumerable.Range(0, count).Select(_ => NewUuid()).ToList();
        // Warm: the outbox dispatcher may still be backing off from before the schema existed.
        var warm = await BuildActiveAsync(NewUuid());
        await WaitForStateAsync(warm.Uuid, e => e.Version == warm.Version, "the warm-up");
        var single = Stopwatch.StartNew();
        var one = await BuildActiveAsync(NewUuid());
        await WaitForStateAsync(one.Uuid, e => e.Version == one.Version, "one build");
        output.WriteLine($"one build cast, updated ACTIVE and published in {single.Elapsed.TotalMilliseconds:0} ms");

        var clock = Stopwatch.StartNew();
        Act();
        await Task.WhenAll(uuids.Select(u => Conductor.CastBuildInstancesAsync(Build(u))));
        Assert.True(await Eventually.TrueAsync(() => Peers.CastsTo<BuildAndRunInstance>().Count(b => uuids.Contains(b.Instance.Uuid)) >= count, Wait), "every build cast");
        var cast = clock.Elapsed;

        await Task.WhenAll(uuids.Select(async u =>
        {
            var reply = await Conductor.CallInstanceUpdateAsync(new InstanceUpdate
            {
                InstanceUuid = u,
                ExpectedTaskStates = [TaskStates.Scheduling],
                Changes = new InstanceChanges { VmState = VmStates.Active, SetTaskState = true, TaskState = null, PowerState = PowerStates.Running },
            });
            Assert.True(reply.Updated);
        }));
        Assert.True(await Eventually.TrueAsync(() => uuids.All(u => Peers.Latest(u)?.VmState == VmStates.Active), Wait), "every instance ACTIVE");
        output.WriteLine($"{count} builds cast to hosts in {cast.TotalMilliseconds:0} ms, all ACTIVE in {clock.Elapsed.TotalMilliseconds:0} ms");

        foreach (var u in uuids)
        {
            Assert.Single(Peers.CastsTo<BuildAndRunInstance>(), b => b.Instance.Uuid == u);
            // Delivery is at least once: a version may come twice, never out of the set.
            Assert.Equal([1L, 2L, 3L], Peers.EventsOf(u).Select(e => e.Version).Distinct().Order().ToArray());
        }
    }
}
