using ComputeAgent.Contracts;
using Conductor.Contracts;
using Scheduler.Contracts;
using Topics = ComputeAgent.Contracts.Topics;

namespace ComputeAgent.Tests;

public sealed class VifPluggingEnvironment : AgentEnvironment
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["fake:wait_for_vif_plugged"] = "true",
        ["compute:vif_plugging_timeout"] = "3",
        ["compute:vif_plugging_is_fatal"] = "true",
    };
}

public sealed class LenientVifPluggingEnvironment : AgentEnvironment
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["fake:wait_for_vif_plugged"] = "true",
        ["compute:vif_plugging_timeout"] = "1",
        ["compute:vif_plugging_is_fatal"] = "false",
    };
}

internal static class VifBuilds
{
    public static async Task<InstanceInfo> StartAsync(AgentEnvironment env, string host)
    {
        var net = env.Peers.State.AddNetwork("vifnet");
        var instance = env.Conductor.Add(TestConductorState.NewInstance(host));
        await env.Rpc.CastAsync(Topics.ComputeOn(host), new BuildAndRunInstance
        {
            Instance = instance,
            Image = new ImageSpec { Id = "image-1" },
            Node = host,
            Networks = [new RequestedNetwork(net)],
        });
        return instance;
    }
}

/// <summary>A driver that waits for network-vif-plugged: the build goes on when the event comes, and fails when it does not.</summary>
public sealed class VifPluggingTests(VifPluggingEnvironment env) : IClassFixture<VifPluggingEnvironment>
{
    [Fact]
    public async Task The_build_waits_for_network_vif_plugged_and_goes_active_when_it_comes()
    {
        var instance = await VifBuilds.StartAsync(env, AgentEnvironment.Host1);
        var spawning = await env.WaitForAsync(instance.Uuid, i => i.TaskState == TaskStates.Spawning);
        var port = Assert.Single(spawning.NetworkInfo).PortId;
        await env.Rpc.CastAsync(Topics.ComputeOn(AgentEnvironment.Host1), new ExternalInstanceEvent(instance.Uuid, "network-vif-plugged", port, "completed"));
        var active = await env.WaitForAsync(instance.Uuid, i => i.VmState == VmStates.Active);
        Assert.Equal(PowerStates.Running, active.PowerState);
        Assert.DoesNotContain(env.Conductor.Reschedules, r => r.InstanceUuid == instance.Uuid);
    }

    [Fact]
    public async Task Without_the_event_the_build_fails_when_vif_plugging_is_fatal()
    {
        var instance = await VifBuilds.StartAsync(env, AgentEnvironment.Host2);
        Assert.True(await AgentEnvironment.Until(() => env.Conductor.Reschedules.Any(r => r.InstanceUuid == instance.Uuid)), "the timed out build asks for a reschedule");
        Assert.Contains("network-vif-plugged", env.Conductor.Reschedules.Single(r => r.InstanceUuid == instance.Uuid).Reason);
        Assert.Empty(env.Peers.State.PortsOf(instance.Uuid));
        Assert.NotEqual(VmStates.Active, env.Conductor.Get(instance.Uuid).VmState);
    }

    [Fact]
    public async Task A_failed_network_vif_plugged_fails_the_build()
    {
        var instance = await VifBuilds.StartAsync(env, AgentEnvironment.Host3);
        var spawning = await env.WaitForAsync(instance.Uuid, i => i.TaskState == TaskStates.Spawning);
        await env.Rpc.CastAsync(Topics.ComputeOn(AgentEnvironment.Host3),
            new ExternalInstanceEvent(instance.Uuid, "network-vif-plugged", spawning.NetworkInfo[0].PortId, "failed"));
        Assert.True(await AgentEnvironment.Until(() => env.Conductor.Reschedules.Any(r => r.InstanceUuid == instance.Uuid), 10));
        Assert.Contains("failed", env.Conductor.Reschedules.Single(r => r.InstanceUuid == instance.Uuid).Reason);
    }
}

public sealed class VifPluggingDeleteTests(VifPluggingEnvironment env) : IClassFixture<VifPluggingEnvironment>
{
    [Fact]
    public async Task A_delete_calls_off_the_wait_and_cleans_up()
    {
        var instance = await VifBuilds.StartAsync(env, AgentEnvironment.Host2);
        await env.WaitForAsync(instance.Uuid, i => i.TaskState == TaskStates.Spawning);
        var deleting = env.Conductor.SetTask(instance.Uuid, TaskStates.Deleting);
        await env.Rpc.CastAsync(Topics.ComputeOn(AgentEnvironment.Host2), new TerminateInstance(deleting));
        await env.WaitForAsync(instance.Uuid, i => i.Deleted);
        // The build gave up because of the delete, not because the wait ran out.
        Assert.True(await AgentEnvironment.Until(() => env.Conductor.Reschedules.Any(r => r.InstanceUuid == instance.Uuid)));
        Assert.Contains("called off", env.Conductor.Reschedules.Single(r => r.InstanceUuid == instance.Uuid).Reason);
        Assert.Empty(env.Peers.State.PortsOf(instance.Uuid));
        Assert.Contains(instance.Uuid, env.Peers.State.AllocationDeletes);
    }
}

public sealed class LenientVifPluggingTests(LenientVifPluggingEnvironment env) : IClassFixture<LenientVifPluggingEnvironment>
{
    [Fact]
    public async Task Without_the_event_the_build_goes_on_when_vif_plugging_is_not_fatal()
    {
        var instance = await VifBuilds.StartAsync(env, AgentEnvironment.Host1);
        var active = await env.WaitForAsync(instance.Uuid, i => i.VmState == VmStates.Active);
        Assert.Single(active.NetworkInfo);
        Assert.Empty(env.Conductor.Reschedules);
    }
}
