using ComputeAgent.Contracts;
using Conductor.Contracts;
using Scheduler.Contracts;
using Topics = ComputeAgent.Contracts.Topics;

namespace ComputeAgent.Tests;

public sealed class ManyHostsEnvironment : AgentEnvironment
{
    public const int Count = 100;

    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["fake:host_count"] = Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["report_interval"] = "2",
        ["compute:resource_report_interval"] = "2",
    };
}

/// <summary>A hundred fake hosts in one process: each registers, reports its node and builds on its own queue.</summary>
public sealed class ManyHostsTests(ManyHostsEnvironment env) : IClassFixture<ManyHostsEnvironment>
{
    [Fact]
    public async Task A_hundred_hosts_register_report_and_build()
    {
        var hosts = Enumerable.Range(1, ManyHostsEnvironment.Count).Select(k => k == 1 ? AgentEnvironment.Host1 : $"{AgentEnvironment.Host1}-{k}").ToList();
        Assert.True(await AgentEnvironment.Until(() => hosts.All(h => env.Conductor.Reports.Any(r => r.Host == h && r.StartFlag)), 90), "every host registered");
        Assert.True(await AgentEnvironment.Until(() => hosts.All(h => env.Peers.State.NodeReports.Any(r => r.Host == h)), 90), "every node reported");
        Assert.Equal(ManyHostsEnvironment.Count, env.Peers.State.NodeReports.Select(r => r.ProviderUuid).Distinct().Count());

        // Later heartbeats are spread over the interval rather than all at once.
        Assert.True(await AgentEnvironment.Until(() => hosts.All(h => env.Conductor.Reports.Count(r => r.Host == h) >= 2), 90), "every host heartbeats again");

        var builds = new List<string>();
        foreach (var host in new[] { hosts[1], hosts[49], hosts[^1] })
        {
            var instance = env.Conductor.Add(TestConductorState.NewInstance(host));
            builds.Add(instance.Uuid);
            await env.Rpc.CastAsync(Topics.ComputeOn(host), new BuildAndRunInstance { Instance = instance, Image = new ImageSpec { Id = "image-1" }, Node = host, NoNetworks = true });
        }
        foreach (var uuid in builds)
            await env.WaitForAsync(uuid, i => i.VmState == VmStates.Active);
    }
}
