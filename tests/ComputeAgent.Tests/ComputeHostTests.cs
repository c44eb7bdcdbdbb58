using System.Text.Json.Nodes;
using ComputeAgent.Contracts;
using Conductor.Contracts;
using Platform.Context;
using Scheduler.Contracts;
using Topics = ComputeAgent.Contracts.Topics;

namespace ComputeAgent.Tests;

public sealed class MainAgentEnvironment : AgentEnvironment
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["fake:fail_spawn_hosts"] = Host3,
    };
}

/// <summary>Three fake hosts in one agent: registration, reports, builds, actions and deletes, against a test conductor and peers.</summary>
public sealed class ComputeHostTests(MainAgentEnvironment env) : IClassFixture<MainAgentEnvironment>
{
    private static readonly ImageSpec image = new() { Id = "image-1", Name = "cirros", DiskFormat = "qcow2", ContainerFormat = "bare", Size = 1024 };

    private async Task<InstanceInfo> BuildActiveAsync(string host, IReadOnlyList<RequestedNetwork>? networks = null)
    {
        var instance = env.Conductor.Add(TestConductorState.NewInstance(host));
        await env.Rpc.CastAsync(Topics.ComputeOn(host), new BuildAndRunInstance
        {
            Instance = instance,
            Image = image,
            Node = host,
            Networks = networks ?? [],
            NoNetworks = networks is null,
            SecurityGroups = ["default"],
        });
        return await env.WaitForAsync(instance.Uuid, i => i.VmState == VmStates.Active && i.TaskState is null);
    }

    [Fact]
    public async Task Three_hosts_register_heartbeat_and_report_their_nodes_to_placement()
    {
        string[] hosts = [AgentEnvironment.Host1, AgentEnvironment.Host2, AgentEnvironment.Host3];
        Assert.True(await AgentEnvironment.Until(() => hosts.All(h => env.Conductor.Reports.Count(r => r.Host == h) >= 2)), "every host heartbeats");
        foreach (var host in hosts)
        {
            var reports = env.Conductor.Reports.Where(r => r.Host == host).ToList();
            Assert.True(reports[0].StartFlag);
            Assert.False(reports[^1].StartFlag);
            Assert.Equal("nova-compute", reports[0].Binary);
        }

        Assert.True(await AgentEnvironment.Until(() => hosts.All(h => env.Peers.State.NodeReports.Count(r => r.Host == h) >= 2)), "every node reports resources");
        var nodes = hosts.Select(h => env.Peers.State.NodeReports.Last(r => r.Host == h)).ToList();
        Assert.Equal(3, nodes.Select(n => n.ProviderUuid).Distinct().Count());
        Assert.All(nodes, n => Assert.True(Guid.TryParse(n.ProviderUuid, out _)));
        // A provider keeps its uuid from report to report (and from start to start: it is derived from the name).
        Assert.Equal(ComputeHosts.ProviderUuidFor(AgentEnvironment.Host2), nodes[1].ProviderUuid);
        var node = nodes[0];
        Assert.Equal("fake", node.HypervisorType);
        Assert.Equal(AgentEnvironment.Host1, node.HypervisorHostname);
        var vcpu = Assert.Single(node.Inventories, i => i.ResourceClass == "VCPU");
        Assert.Equal(16, vcpu.Total);
        Assert.Equal(4.0, vcpu.AllocationRatio);
        var ram = Assert.Single(node.Inventories, i => i.ResourceClass == "MEMORY_MB");
        Assert.Equal(32768, ram.Total);
        Assert.Equal(512, ram.Reserved);
        Assert.Equal(1.0, ram.AllocationRatio);
        Assert.Equal(1024, Assert.Single(node.Inventories, i => i.ResourceClass == "DISK_GB").Total);
        Assert.Contains(node.SupportedInstances, s => s.Architecture == "x86_64" && s.HypervisorType == "fake" && s.VmMode == "hvm");
        Assert.Contains("COMPUTE_NODE", node.Traits);
        Assert.All(env.Peers.State.PlacementTokens, t => Assert.Equal(TestCatalog.Token, t));
    }

    [Fact]
    public async Task A_disabled_service_gets_the_disabled_trait()
    {
        env.Conductor.DisabledHosts[AgentEnvironment.Host2] = true;
        var since = env.Peers.State.NodeReports.Count;
        Assert.True(await AgentEnvironment.Until(() => env.Peers.State.NodeReports.Skip(since)
            .Any(r => r.Host == AgentEnvironment.Host2 && r.Traits.Contains("COMPUTE_STATUS_DISABLED"))), "the disabled host's node carries the trait");
        env.Conductor.DisabledHosts.TryRemove(AgentEnvironment.Host2, out _);
    }

    [Fact]
    public async Task A_build_without_networks_goes_active_with_its_action_events()
    {
        var global = "req-" + Guid.NewGuid();
        RequestContextAccessor.Current = new RequestContext { GlobalRequestId = global, UserId = "user-a", ProjectId = "project-a" };
        InstanceInfo active;
        try
        {
            active = await BuildActiveAsync(AgentEnvironment.Host2);
        }
        finally
        {
            RequestContextAccessor.Current = null;
        }
        Assert.Equal(PowerStates.Running, active.PowerState);
        Assert.NotNull(active.LaunchedAt);
        Assert.Equal(AgentEnvironment.Host2, active.Host);
        Assert.Empty(active.NetworkInfo);
        // Nothing to allocate, so no networking step: spawning, then active, each expecting the previous task state.
        var updates = env.Conductor.Updates.Where(u => u.InstanceUuid == active.Uuid).ToList();
        Assert.Equal([TaskStates.Spawning, null], updates.Select(u => u.Changes.TaskState));
        Assert.Equal([TaskStates.Scheduling], updates[0].ExpectedTaskStates);
        Assert.Equal([TaskStates.Spawning], updates[1].ExpectedTaskStates);

        Assert.True(await AgentEnvironment.Until(() => env.Conductor.EventsOf(active.Uuid).Any(e => e.Finished)));
        var events = env.Conductor.EventsOf(active.Uuid);
        Assert.All(events, e =>
        {
            Assert.Equal("compute_build_and_run_instance", e.Event);
            Assert.Equal(global, e.RequestId);
            Assert.Equal(AgentEnvironment.Host2, e.Host);
        });
        Assert.Equal("Success", Assert.Single(events, e => e.Finished).Result);
        Assert.Single(events, e => !e.Finished);
    }

    [Fact]
    public async Task A_build_that_finds_its_instance_moved_on_does_nothing()
    {
        var instance = env.Conductor.Add(TestConductorState.NewInstance(AgentEnvironment.Host1, VmStates.Building, TaskStates.Deleting));
        await env.Rpc.CastAsync(Topics.ComputeOn(AgentEnvironment.Host1), new BuildAndRunInstance { Instance = instance, Image = image, Node = AgentEnvironment.Host1, NoNetworks = true });
        Assert.True(await AgentEnvironment.Until(() => env.Conductor.Updates.Any(u => u.InstanceUuid == instance.Uuid)));
        Assert.Equal(TaskStates.Deleting, env.Conductor.Get(instance.Uuid).TaskState);
        Assert.DoesNotContain(env.Conductor.Reschedules, r => r.InstanceUuid == instance.Uuid);
    }

    [Fact]
    public async Task A_build_with_networks_creates_and_binds_ports_and_terminate_cleans_them_up()
    {
        var net = env.Peers.State.AddNetwork("private");
        var sg = env.Peers.State.AddSecurityGroup("default");
        env.Peers.State.AddSecurityGroup("default", project: "project-b");
        // A port the user made beforehand, on the same network.
        var given = env.Peers.State.NewPort(new JsonObject { ["network_id"] = net, ["project_id"] = "project-a" })["id"]!.GetValue<string>();

        var active = await BuildActiveAsync(AgentEnvironment.Host1, [new RequestedNetwork(net, FixedIp: "10.9.9.9"), new RequestedNetwork(null, PortId: given)]);

        var ports = env.Peers.State.PortsOf(active.Uuid);
        Assert.Equal(2, ports.Count);
        Assert.All(ports, p =>
        {
            Assert.Equal(AgentEnvironment.Host1, p["binding:host_id"]!.GetValue<string>());
            Assert.Equal("compute:nova", p["device_owner"]!.GetValue<string>());
            Assert.Equal("ovs", p["binding:vif_type"]!.GetValue<string>());
        });
        var created = Assert.Single(ports, p => p["id"]!.GetValue<string>() != given);
        Assert.Equal("10.9.9.9", created["fixed_ips"]![0]!["ip_address"]!.GetValue<string>());
        Assert.Equal(sg, Assert.Single(created["security_groups"]!.AsArray())!.GetValue<string>());

        Assert.Equal(2, active.NetworkInfo.Count);
        var mine = Assert.Single(active.NetworkInfo, v => v.PortId == created["id"]!.GetValue<string>());
        Assert.Equal("private", mine.NetworkLabel);
        Assert.Equal(net, mine.NetworkId);
        Assert.Equal("10.9.9.9", Assert.Single(mine.Addresses).Address);
        Assert.Equal(4, mine.Addresses[0].Version);
        Assert.False(mine.PreserveOnDelete);
        Assert.True(Assert.Single(active.NetworkInfo, v => v.PortId == given).PreserveOnDelete);

        // Terminate: the guest goes, the port it made is deleted, the given one unbound, the allocation released.
        env.Conductor.SetTask(active.Uuid, TaskStates.Deleting);
        await env.Rpc.CastAsync(Topics.ComputeOn(AgentEnvironment.Host1), new TerminateInstance(env.Conductor.Get(active.Uuid)));
        var deleted = await env.WaitForAsync(active.Uuid, i => i.Deleted);
        Assert.Equal(VmStates.Deleted, deleted.VmState);
        Assert.Equal(PowerStates.NoState, deleted.PowerState);
        Assert.NotNull(deleted.TerminatedAt);
        Assert.Contains(active.Uuid, env.Peers.State.AllocationDeletes);
        Assert.Contains(created["id"]!.GetValue<string>(), env.Peers.State.DeletedPorts);
        var kept = env.Peers.State.Ports[given];
        Assert.Equal("", kept["device_id"]!.GetValue<string>());
        Assert.Equal("", kept["binding:host_id"]!.GetValue<string>());
        Assert.Contains(env.Conductor.EventsOf(active.Uuid), e => e.Event == "compute_terminate_instance" && e.Result == "Success");
    }

    [Fact]
    public async Task A_failed_spawn_deletes_its_ports_and_asks_for_a_reschedule()
    {
        var net = env.Peers.State.AddNetwork("doomed");
        var instance = env.Conductor.Add(TestConductorState.NewInstance(AgentEnvironment.Host3));
        await env.Rpc.CastAsync(Topics.ComputeOn(AgentEnvironment.Host3), new BuildAndRunInstance
        {
            Instance = instance,
            Image = image,
            Node = AgentEnvironment.Host3,
            Networks = [new RequestedNetwork(net)],
        });
        Assert.True(await AgentEnvironment.Until(() => env.Conductor.Reschedules.Any(r => r.InstanceUuid == instance.Uuid)), "a reschedule was asked for");
        var reschedule = env.Conductor.Reschedules.Single(r => r.InstanceUuid == instance.Uuid);
        Assert.Equal(AgentEnvironment.Host3, reschedule.FailedHost);
        Assert.Contains("fake spawn failure", reschedule.Reason);
        Assert.Empty(env.Peers.State.PortsOf(instance.Uuid));
        Assert.NotEmpty(env.Peers.State.DeletedPorts);
        Assert.Empty(env.Conductor.Get(instance.Uuid).NetworkInfo);
        var finished = Assert.Single(env.Conductor.EventsOf(instance.Uuid), e => e.Finished);
        Assert.Equal("Error", finished.Result);
        Assert.Contains("fake spawn failure", finished.Traceback);
        // The node reports its failed builds, for the BuildFailureWeigher.
        Assert.True(await AgentEnvironment.Until(() => env.Peers.State.NodeReports.Any(r => r.Host == AgentEnvironment.Host3 && r.FailedBuilds >= 1)));
    }

    [Fact]
    public async Task A_port_that_fails_to_bind_fails_the_build()
    {
        var net = env.Peers.State.AddNetwork("unbindable");
        env.Peers.State.UnbindableHosts[AgentEnvironment.Host2] = true;
        try
        {
            var instance = env.Conductor.Add(TestConductorState.NewInstance(AgentEnvironment.Host2));
            await env.Rpc.CastAsync(Topics.ComputeOn(AgentEnvironment.Host2), new BuildAndRunInstance
            {
                Instance = instance, Image = image, Node = AgentEnvironment.Host2, Networks = [new RequestedNetwork(net)],
            });
            Assert.True(await AgentEnvironment.Until(() => env.Conductor.Reschedules.Any(r => r.InstanceUuid == instance.Uuid)));
            Assert.Contains("Binding failed", env.Conductor.Reschedules.Single(r => r.InstanceUuid == instance.Uuid).Reason);
            Assert.Empty(env.Peers.State.PortsOf(instance.Uuid));
        }
        finally
        {
            env.Peers.State.UnbindableHosts.TryRemove(AgentEnvironment.Host2, out _);
        }
    }

    [Fact]
    public async Task Stop_start_reboot_pause_and_resume_change_the_state_through_the_conductor()
    {
        var host = AgentEnvironment.Host1;
        var uuid = (await BuildActiveAsync(host)).Uuid;

        async Task<InstanceInfo> Act<T>(string task, T message, Func<InstanceInfo, bool> done) where T : class
        {
            env.Conductor.SetTask(uuid, task);
            await env.Rpc.CastAsync(Topics.ComputeOn(host), message);
            return await env.WaitForAsync(uuid, i => i.TaskState is null && done(i));
        }

        var stopped = await Act(TaskStates.PoweringOff, new StopInstance(env.Conductor.Get(uuid)), i => i.VmState == VmStates.Stopped);
        Assert.Equal(PowerStates.Shutdown, stopped.PowerState);
        var started = await Act(TaskStates.PoweringOn, new StartInstance(env.Conductor.Get(uuid)), i => i.VmState == VmStates.Active);
        Assert.Equal(PowerStates.Running, started.PowerState);
        var rebootsBefore = env.Conductor.EventsOf(uuid).Count(e => e.Event == "compute_reboot_instance" && e.Finished);
        await Act(TaskStates.RebootPendingHard, new RebootInstance(env.Conductor.Get(uuid), "HARD"), i => i.VmState == VmStates.Active);
        await Act(TaskStates.RebootPending, new RebootInstance(env.Conductor.Get(uuid), "SOFT"), i => i.VmState == VmStates.Active);
        // The event finishes after the state is saved, as nova's event wrapper does.
        Assert.True(await AgentEnvironment.Until(() =>
            env.Conductor.EventsOf(uuid).Count(e => e.Event == "compute_reboot_instance" && e.Finished && e.Result == "Success") == rebootsBefore + 2));
        var paused = await Act(TaskStates.Pausing, new PauseInstance(env.Conductor.Get(uuid)), i => i.VmState == VmStates.Paused);
        Assert.Equal(PowerStates.Paused, paused.PowerState);
        await Act(TaskStates.Unpausing, new UnpauseInstance(env.Conductor.Get(uuid)), i => i.VmState == VmStates.Active);
        var suspended = await Act(TaskStates.Suspending, new SuspendInstance(env.Conductor.Get(uuid)), i => i.VmState == VmStates.Suspended);
        Assert.Equal(PowerStates.Suspended, suspended.PowerState);
        var resumed = await Act(TaskStates.Resuming, new ResumeInstance(env.Conductor.Get(uuid)), i => i.VmState == VmStates.Active);
        Assert.Equal(PowerStates.Running, resumed.PowerState);
        foreach (var name in new[] { "compute_stop_instance", "compute_start_instance", "compute_pause_instance", "compute_unpause_instance", "compute_suspend_instance", "compute_resume_instance" })
            Assert.True(await AgentEnvironment.Until(() => env.Conductor.EventsOf(uuid).Any(e => e.Event == name && e.Finished && e.Result == "Success")), name);

        // The console shows the guest's boots.
        var console = await env.Rpc.CallAsync<GetInstanceConsoleOutput, InstanceConsoleOutput>(Topics.ComputeOn(host), new GetInstanceConsoleOutput(uuid, null));
        Assert.Contains(uuid, console.Output);
        var tail = await env.Rpc.CallAsync<GetInstanceConsoleOutput, InstanceConsoleOutput>(Topics.ComputeOn(host), new GetInstanceConsoleOutput(uuid, 2));
        Assert.Equal(2, tail.Output!.TrimEnd('\n').Split('\n').Length);
        var missing = await env.Rpc.CallAsync<GetInstanceConsoleOutput, InstanceConsoleOutput>(Topics.ComputeOn(host), new GetInstanceConsoleOutput(Guid.NewGuid().ToString(), null));
        Assert.True(missing.NotFound);
    }

    [Fact]
    public async Task A_failed_action_records_a_fault_and_clears_the_task_state()
    {
        // Unpausing a guest the hypervisor does not have fails; the instance stays as it was, with a fault.
        var instance = env.Conductor.Add(TestConductorState.NewInstance(AgentEnvironment.Host2, VmStates.Paused, TaskStates.Unpausing));
        await env.Rpc.CastAsync(Topics.ComputeOn(AgentEnvironment.Host2), new UnpauseInstance(instance));
        var after = await env.WaitForAsync(instance.Uuid, i => i.TaskState is null);
        Assert.Equal(VmStates.Paused, after.VmState);
        Assert.NotNull(after.Fault);
        Assert.True(await AgentEnvironment.Until(() => env.Conductor.EventsOf(instance.Uuid).Any(e => e.Event == "compute_unpause_instance" && e.Result == "Error")));
    }

    [Fact]
    public async Task Snapshot_uploads_the_disk_and_rebuild_changes_the_image()
    {
        var host = AgentEnvironment.Host1;
        var uuid = (await BuildActiveAsync(host)).Uuid;
        env.Conductor.SetTask(uuid, TaskStates.ImageSnapshot);
        var imageId = Guid.NewGuid().ToString();
        await env.Rpc.CastAsync(Topics.ComputeOn(host), new SnapshotInstance(env.Conductor.Get(uuid), imageId));
        await env.WaitForAsync(uuid, i => i.TaskState is null);
        Assert.True(env.Peers.State.ImageData.TryGetValue(imageId, out var data));
        Assert.Contains(uuid, System.Text.Encoding.UTF8.GetString(data!));

        env.Conductor.SetTask(uuid, TaskStates.Rebuilding);
        await env.Rpc.CastAsync(Topics.ComputeOn(host), new RebuildInstance(env.Conductor.Get(uuid), new ImageSpec { Id = "image-2" }));
        var rebuilt = await env.WaitForAsync(uuid, i => i.TaskState is null && i.ImageRef == "image-2");
        Assert.Equal(VmStates.Active, rebuilt.VmState);
        Assert.Contains(env.Conductor.Updates, u => u.InstanceUuid == uuid && u.Changes.TaskState == TaskStates.RebuildSpawning);
    }
}
