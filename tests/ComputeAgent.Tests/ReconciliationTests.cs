using ComputeAgent.Contracts;
using Conductor.Contracts;
using Scheduler.Contracts;
using Topics = ComputeAgent.Contracts.Topics;

namespace ComputeAgent.Tests;

public sealed class ReconciliationEnvironment : AgentEnvironment
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>();
}

/// <summary>A restarted agent reconciles what the conductor says runs on its hosts with what its (forgetful) fake driver has.</summary>
public sealed class ReconciliationTests(ReconciliationEnvironment env) : IClassFixture<ReconciliationEnvironment>
{
    [Fact]
    public async Task After_a_restart_lost_guests_stop_interrupted_builds_fail_and_deletes_finish()
    {
        var running = env.Conductor.Add(TestConductorState.NewInstance(AgentEnvironment.Host1));
        await env.Rpc.CastAsync(Topics.ComputeOn(AgentEnvironment.Host1), new BuildAndRunInstance
        {
            Instance = running, Image = new ImageSpec { Id = "image-1" }, Node = AgentEnvironment.Host1, NoNetworks = true,
        });
        await env.WaitForAsync(running.Uuid, i => i.VmState == VmStates.Active);

        await env.StopAgentAsync();
        // What the crash left behind, as the conductor has it.
        var spawning = env.Conductor.Add(TestConductorState.NewInstance(AgentEnvironment.Host2, VmStates.Building, TaskStates.Spawning));
        var deleting = env.Conductor.Add(TestConductorState.NewInstance(AgentEnvironment.Host2, VmStates.Active, TaskStates.Deleting) with { PowerState = PowerStates.Running });
        var stopped = env.Conductor.Add(TestConductorState.NewInstance(AgentEnvironment.Host3, VmStates.Stopped, null) with { PowerState = PowerStates.Shutdown });
        var versionOfStopped = stopped.Version;

        env.StartAgent();

        var lost = await env.WaitForAsync(running.Uuid, i => i.VmState == VmStates.Stopped);
        Assert.Equal(PowerStates.Shutdown, lost.PowerState);
        Assert.Null(lost.TaskState);

        var failed = await env.WaitForAsync(spawning.Uuid, i => i.VmState == VmStates.Error);
        Assert.Null(failed.TaskState);
        Assert.NotNull(failed.Fault);

        var gone = await env.WaitForAsync(deleting.Uuid, i => i.Deleted);
        Assert.Equal(VmStates.Deleted, gone.VmState);
        Assert.Contains(deleting.Uuid, env.Peers.State.AllocationDeletes);

        // Already consistent: left alone.
        Assert.True(await AgentEnvironment.Until(() => env.Conductor.Reports.Count(r => r.Host == AgentEnvironment.Host3 && r.StartFlag) >= 2));
        Assert.Equal(versionOfStopped, env.Conductor.Get(stopped.Uuid).Version);
    }
}
