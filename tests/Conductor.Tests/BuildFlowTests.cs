using ComputeAgent.Contracts;
using Conductor.Contracts;
using Platform.TestSupport;
using Scheduler.Contracts;

namespace Conductor.Tests;

/// <summary>build_instances, select_destinations, the cast to the host, reschedules and their limits.</summary>
public sealed class BuildFlowTests(MySqlFixture mysql, RabbitMqFixture rabbit)
    : ConductorTestBase(mysql, rabbit, "condbuild"), IClassFixture<MySqlFixture>, IClassFixture<RabbitMqFixture>
{
    [Fact]
    public async Task A_build_is_cast_to_the_chosen_host_and_goes_active_with_events_in_version_order()
    {
        var uuid = NewUuid();
        var requestId = Act();
        await Conductor.CastBuildInstancesAsync(Build(uuid));

        var cast = await WaitForAsync(() => Peers.CastsTo<BuildAndRunInstance>("host-1").FirstOrDefault(b => b.Instance.Uuid == uuid), "the build cast to host-1");
        Assert.Equal("host-1-node", cast.Node);
        Assert.Equal(1, cast.Attempt);
        Assert.Equal("host-1", cast.Instance.Host);
        Assert.Equal(2, cast.Instance.Version);
        Assert.Equal(TaskStates.Scheduling, cast.Instance.TaskState);
        Assert.Equal("image-1", cast.Image.Id);
        Assert.Equal("net-1", Assert.Single(cast.Networks).NetworkId);
        var asked = Assert.Single(Peers.SchedulerRequests, r => r.InstanceUuids.Contains(uuid));
        Assert.Equal(512, asked.Spec.Flavor.MemoryMb);

        var active = await Conductor.CallInstanceUpdateAsync(new InstanceUpdate
        {
            InstanceUuid = uuid,
            ExpectedTaskStates = [TaskStates.Scheduling],
            Changes = new InstanceChanges
            {
                VmState = VmStates.Active, SetTaskState = true, TaskState = null, PowerState = PowerStates.Running,
                NetworkInfo = [new VifInfo { PortId = "port-1", NetworkId = "net-1", NetworkLabel = "private", Addresses = [new FixedAddress("10.0.0.5", 4)] }],
            },
        });
        Assert.True(active.Updated);
        Assert.Equal(3, active.Instance!.Version);

        // A stale update (the task state moved on) is refused and shows the instance as it is.
        var stale = await Conductor.CallInstanceUpdateAsync(new InstanceUpdate
        {
            InstanceUuid = uuid,
            ExpectedTaskStates = [TaskStates.Spawning],
            Changes = new InstanceChanges { VmState = VmStates.Error },
        });
        Assert.False(stale.Updated);
        Assert.Equal(VmStates.Active, stale.Instance!.VmState);

        var last = await WaitForStateAsync(uuid, e => e.Version == 3, "version 3");
        Assert.Equal("10.0.0.5", last.NetworkInfo[0].Addresses[0].Address);
        Assert.Equal([1L, 2L, 3L], Peers.EventsOf(uuid).Select(e => e.Version).Order().ToArray());
        Assert.Equal(VmStates.Building, Peers.EventsOf(uuid).Single(e => e.Version == 1).VmState);

        // The create action carries the API call's request id; the host's events land on it.
        Assert.True((await Conductor.CallRecordActionEventAsync(new RecordActionEvent
        { InstanceUuid = uuid, RequestId = requestId, Event = "compute_build_and_run_instance", Host = "host-1" })).Recorded);
        Assert.True((await Conductor.CallRecordActionEventAsync(new RecordActionEvent
        { InstanceUuid = uuid, RequestId = requestId, Event = "compute_build_and_run_instance", Host = "host-1", Finished = true, Result = "Success" })).Recorded);
        var actions = await Conductor.CallListInstanceActionsAsync(uuid);
        var create = Assert.Single(actions.Actions);
        Assert.Equal("create", create.Action);
        Assert.Equal(requestId, create.RequestId);
        var ev = Assert.Single(create.Events);
        Assert.Equal("Success", ev.Result);
        Assert.NotNull(ev.FinishTime);

        var onHost = await Conductor.CallGetInstancesOnHostAsync("host-1");
        Assert.Contains(onHost.Instances, i => i.Uuid == uuid && i.VmState == VmStates.Active);
    }

    [Fact]
    public async Task No_valid_host_puts_the_instance_in_error_with_a_fault()
    {
        Peers.Answer = _ => new SelectDestinationsReply { NoValidHostReason = "There are not enough hosts available." };
        var uuid = NewUuid();
        Act();
        await Conductor.CastBuildInstancesAsync(Build(uuid));
        var error = await WaitForStateAsync(uuid, e => e.VmState == VmStates.Error, "ERROR");
        Assert.Null(error.TaskState);
        Assert.Null(error.Host);
        Assert.Equal(500, error.Fault!.Code);
        Assert.Equal("No valid host was found. There are not enough hosts available.", error.Fault.Message);
        Assert.DoesNotContain(Peers.CastsTo<BuildAndRunInstance>(), b => b.Instance.Uuid == uuid);
    }

    [Fact]
    public async Task A_failed_build_moves_to_the_next_claimable_alternate_then_errors_after_max_attempts()
    {
        Peers.Answer = Peers.Pick(["host-1", "host-2", "host-3", "host-4"]);
        Placement.FullProviders["cn-host-2"] = true;
        var uuid = NewUuid();
        Act();
        await Conductor.CastBuildInstancesAsync(Build(uuid));
        await WaitForAsync(() => Peers.CastsTo<BuildAndRunInstance>("host-1").FirstOrDefault(b => b.Instance.Uuid == uuid), "the first build");

        await Conductor.CastRescheduleBuildAsync(new RescheduleBuild(uuid, "host-1", "boom 1"));
        // host-2 has no room left: skipped; host-3 is the second attempt.
        var second = await WaitForAsync(() => Peers.CastsTo<BuildAndRunInstance>("host-3").FirstOrDefault(b => b.Instance.Uuid == uuid), "the build on host-3");
        Assert.Equal(2, second.Attempt);
        Assert.Equal("host-3", second.Instance.Host);
        Assert.Equal("host-3-node", second.Node);
        Assert.Contains(Placement.Claims, c => c.ConsumerUuid == uuid && c.Allocations[0].ProviderUuid == "cn-host-2");
        var claim = Assert.Single(Placement.Claims, c => c.ConsumerUuid == uuid && c.Allocations[0].ProviderUuid == "cn-host-3");
        Assert.Equal(512, claim.Allocations[0].Resources["MEMORY_MB"]);
        Assert.All(Placement.Tokens, t => Assert.Equal(ServiceToken, t));

        // A repeat of the same reschedule finds the instance moved on and does nothing.
        await Conductor.CastRescheduleBuildAsync(new RescheduleBuild(uuid, "host-1", "boom 1"));
        await Conductor.CastRescheduleBuildAsync(new RescheduleBuild(uuid, "host-3", "boom 2"));
        var third = await WaitForAsync(() => Peers.CastsTo<BuildAndRunInstance>("host-4").FirstOrDefault(b => b.Instance.Uuid == uuid), "the build on host-4");
        Assert.Equal(3, third.Attempt);

        await Conductor.CastRescheduleBuildAsync(new RescheduleBuild(uuid, "host-4", "boom 3"));
        var error = await WaitForStateAsync(uuid, e => e.VmState == VmStates.Error, "ERROR");
        Assert.Equal($"No valid host was found. Exceeded max scheduling attempts 3 for instance {uuid}. Last exception: boom 3", error.Fault!.Message);
        Assert.Null(error.TaskState);
        Assert.True(await Eventually.TrueAsync(() => Placement.Deletes.Contains(uuid), Wait));
        Assert.Single(Peers.CastsTo<BuildAndRunInstance>(), b => b.Instance.Uuid == uuid && b.Attempt == 2);
        Assert.Equal(3, Peers.CastsTo<BuildAndRunInstance>().Count(b => b.Instance.Uuid == uuid));
    }

    [Fact]
    public async Task Running_out_of_alternates_errors_the_build()
    {
        Peers.Answer = Peers.Pick(["host-1", "host-2"]);
        var uuid = NewUuid();
        Act();
        await Conductor.CastBuildInstancesAsync(Build(uuid));
        await WaitForAsync(() => Peers.CastsTo<BuildAndRunInstance>("host-1").FirstOrDefault(b => b.Instance.Uuid == uuid), "the first build");
        Placement.FullProviders["cn-host-2"] = true;
        await Conductor.CastRescheduleBuildAsync(new RescheduleBuild(uuid, "host-1", "disk full"));
        var error = await WaitForStateAsync(uuid, e => e.VmState == VmStates.Error, "ERROR");
        Assert.StartsWith("No valid host was found.", error.Fault!.Message);
        Assert.Contains("disk full", error.Fault.Message);
        Assert.True(await Eventually.TrueAsync(() => Placement.Deletes.Contains(uuid), Wait));
    }

    [Fact]
    public async Task The_same_build_delivered_twice_schedules_once()
    {
        var uuids = new[] { NewUuid(), NewUuid() };
        Act();
        var build = Build(uuids);
        // Counted by this build's own instances: messages of earlier tests may still be arriving.
        int Handled() => Peers.ConsumedBuilds.Count(b => b.Instances.Any(i => i.Uuid == uuids[0]));
        await Task.WhenAll(Conductor.CastBuildInstancesAsync(build), Conductor.CastBuildInstancesAsync(build));
        Assert.True(await Eventually.TrueAsync(() => Handled() >= 2, Wait), "both deliveries handled");

        // And once more after it is placed, as a redelivery after a crash would come.
        await Conductor.CastBuildInstancesAsync(build);
        Assert.True(await Eventually.TrueAsync(() => Handled() >= 3, Wait), "the third delivery handled");

        foreach (var uuid in uuids)
        {
            Assert.True(await Eventually.TrueAsync(() => Peers.SchedulerRequests.Any(r => r.InstanceUuids.Contains(uuid))
                && Peers.CastsTo<BuildAndRunInstance>().Any(b => b.Instance.Uuid == uuid), Wait), $"{uuid} scheduled and cast");
            Assert.Single(Peers.SchedulerRequests, r => r.InstanceUuids.Contains(uuid));
            Assert.Single(Peers.CastsTo<BuildAndRunInstance>(), b => b.Instance.Uuid == uuid);
            Assert.True(await Eventually.TrueAsync(() => Peers.EventsOf(uuid).Count == 2, Wait));
            Assert.Equal([1L, 2L], Peers.EventsOf(uuid).Select(e => e.Version).Order().ToArray());
        }
        Assert.Single((await Conductor.CallListInstanceActionsAsync(uuids[0])).Actions);
    }

    [Fact]
    public async Task A_hosts_events_start_once_finish_what_they_started_and_an_error_marks_the_action()
    {
        var uuid = NewUuid();
        var requestId = Act();
        await Conductor.CastBuildInstancesAsync(Build(uuid));
        await WaitForAsync(() => Peers.CastsTo<BuildAndRunInstance>().FirstOrDefault(b => b.Instance.Uuid == uuid), "the build cast");
        RecordActionEvent Event(string name, string host, bool finished = false, string? result = null) =>
            new() { InstanceUuid = uuid, RequestId = requestId, Event = name, Host = host, Finished = finished, Result = result, Traceback = result == "Error" ? "boom" : null };

        // Started twice (a repeat), finished once: one event, closed.
        Assert.True((await Conductor.CallRecordActionEventAsync(Event("compute_build_and_run_instance", "host-1"))).Recorded);
        Assert.True((await Conductor.CallRecordActionEventAsync(Event("compute_build_and_run_instance", "host-1"))).Recorded);
        Assert.True((await Conductor.CallRecordActionEventAsync(Event("compute_build_and_run_instance", "host-1", true, "Error"))).Recorded);
        // Finished with no start heard of: recorded whole.
        Assert.True((await Conductor.CallRecordActionEventAsync(Event("compute_build_and_run_instance", "host-2", true, "Success"))).Recorded);
        // An event of a request the instance has no action for is not recorded.
        Assert.False((await Conductor.CallRecordActionEventAsync(Event("compute_build_and_run_instance", "host-1") with { RequestId = "req-none" })).Recorded);

        var create = Assert.Single((await Conductor.CallListInstanceActionsAsync(uuid)).Actions);
        Assert.Equal("Error", create.Message);
        Assert.Equal(2, create.Events.Count);
        var failed = Assert.Single(create.Events, e => e.Host == "host-1");
        Assert.Equal(("Error", "boom"), (failed.Result, failed.Traceback));
        Assert.NotNull(failed.FinishTime);
        var whole = Assert.Single(create.Events, e => e.Host == "host-2");
        Assert.Equal("Success", whole.Result);
        Assert.Equal(whole.StartTime, whole.FinishTime);
    }

    [Fact]
    public async Task An_agents_change_delivered_again_after_a_crash_is_answered_as_made_and_made_once()
    {
        var uuid = NewUuid();
        Act();
        await Conductor.CastBuildInstancesAsync(Build(uuid));
        await WaitForAsync(() => Peers.CastsTo<BuildAndRunInstance>().FirstOrDefault(b => b.Instance.Uuid == uuid), "the build cast");

        // A conductor killed after its commit and before its answer gets the same message again.
        var spawning = new InstanceUpdate
        {
            InstanceUuid = uuid,
            ExpectedTaskStates = [TaskStates.Scheduling],
            Changes = new InstanceChanges { SetTaskState = true, TaskState = TaskStates.Spawning, Host = "host-1" },
        };
        var first = await Conductor.CallInstanceUpdateAsync(spawning);
        var again = await Conductor.CallInstanceUpdateAsync(spawning);
        Assert.True(first.Updated);
        Assert.True(again.Updated, "the repeat of a change already made is answered as made");
        Assert.Equal(first.Instance!.Version, again.Instance!.Version);
        Assert.Equal(TaskStates.Spawning, again.Instance.TaskState);

        // Another change with the same expectation, or the repeat once something else moved the instance, is refused.
        var other = await Conductor.CallInstanceUpdateAsync(spawning with { ChangeId = Guid.NewGuid().ToString() });
        Assert.False(other.Updated);
        var activate = new InstanceUpdate
        {
            InstanceUuid = uuid,
            ExpectedTaskStates = [TaskStates.Spawning],
            Changes = new InstanceChanges { VmState = VmStates.Active, SetTaskState = true, TaskState = null },
        };
        Assert.True((await Conductor.CallInstanceUpdateAsync(activate)).Updated);
        var late = await Conductor.CallInstanceUpdateAsync(spawning);
        Assert.False(late.Updated);
        Assert.Equal(VmStates.Active, late.Instance!.VmState);
        var stopping = await Conductor.CallInstanceActionAsync(new RequestInstanceAction { InstanceUuid = uuid, Action = InstanceActions.Stop });
        Assert.True(stopping.Accepted, stopping.ConflictMessage);
        Assert.False((await Conductor.CallInstanceUpdateAsync(activate)).Updated);

        var last = await WaitForStateAsync(uuid, e => e.TaskState == TaskStates.PoweringOff, "powering-off");
        Assert.Equal([1L, 2L, 3L, 4L, 5L], Peers.EventsOf(uuid).Select(e => e.Version).Order().ToArray());
        Assert.Equal(5, last.Version);
    }

    [Fact]
    public async Task Concurrent_builds_in_an_anti_affinity_group_land_on_different_hosts()
    {
        var group = new InstanceGroupSpec { Uuid = NewUuid(), Policy = "anti-affinity" };
        var uuids = Enumerable.Range(0, 3).Select(_ => NewUuid()).ToList();
        Act();
        await Task.WhenAll(uuids.Select(u => Conductor.CastBuildInstancesAsync(Build(u) with { InstanceGroup = group })));
        var hosts = new List<string>();
        foreach (var uuid in uuids)
            hosts.Add((await WaitForAsync(() => Peers.CastsTo<BuildAndRunInstance>().FirstOrDefault(b => b.Instance.Uuid == uuid), "a build")).Instance.Host!);
        Assert.Equal(3, hosts.Distinct().Count());

        // A fourth member of the group finds no host left among three.
        Peers.Answer = Peers.Pick(["host-1", "host-2", "host-3"]);
        var fourth = NewUuid();
        await Conductor.CastBuildInstancesAsync(Build(fourth) with { InstanceGroup = group, InstanceGroupMembers = uuids });
        var error = await WaitForStateAsync(fourth, e => e.VmState == VmStates.Error, "ERROR");
        Assert.StartsWith("No valid host was found.", error.Fault!.Message);
    }
}
