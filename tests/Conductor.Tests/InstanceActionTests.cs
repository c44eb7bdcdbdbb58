using ComputeAgent.Contracts;
using Conductor.Contracts;
using Platform.TestSupport;
using Scheduler.Contracts;

namespace Conductor.Tests;

/// <summary>Actions on instances: nova's state guards and lock, the casts they make, and deletes in every stage.</summary>
public sealed class InstanceActionTests(MySqlFixture mysql, RabbitMqFixture rabbit)
    : ConductorTestBase(mysql, rabbit, "condact"), IClassFixture<MySqlFixture>, IClassFixture<RabbitMqFixture>
{
    private Task<InstanceActionReply> ActAsync(string uuid, string action, bool admin = false, string? rebootType = null)
    {
        Act(admin);
        return Conductor.CallInstanceActionAsync(new RequestInstanceAction { InstanceUuid = uuid, Action = action, CallerIsAdmin = admin, RebootType = rebootType });
    }

    [Fact]
    public async Task Actions_are_guarded_by_vm_state_and_task_state_with_novas_texts()
    {
        var uuid = NewUuid();
        var active = await BuildActiveAsync(uuid);

        Assert.Equal($"Cannot 'start' instance {uuid} while it is in vm_state active", (await ActAsync(uuid, InstanceActions.Start)).ConflictMessage);
        Assert.Equal($"Cannot 'unpause' instance {uuid} while it is in vm_state active", (await ActAsync(uuid, InstanceActions.Unpause)).ConflictMessage);

        var stop = await ActAsync(uuid, InstanceActions.Stop);
        Assert.True(stop.Accepted, stop.ConflictMessage);
        Assert.Equal(TaskStates.PoweringOff, stop.Instance!.TaskState);
        Assert.Equal(active.Version + 1, stop.Instance.Version);
        var cast = await WaitForAsync(() => Peers.CastsTo<StopInstance>("host-1").FirstOrDefault(s => s.Instance.Uuid == uuid), "the stop cast");
        Assert.Equal(TaskStates.PoweringOff, cast.Instance.TaskState);

        Assert.Equal($"Cannot 'stop' instance {uuid} while it is in task_state powering-off", (await ActAsync(uuid, InstanceActions.Stop)).ConflictMessage);
        Assert.Equal($"Cannot 'reboot' instance {uuid} while it is in task_state powering-off", (await ActAsync(uuid, InstanceActions.Reboot, rebootType: "SOFT")).ConflictMessage);

        // The agent finishes the stop; a soft reboot is refused from SHUTOFF, a hard one accepted.
        var stopped = await Conductor.CallInstanceUpdateAsync(new InstanceUpdate
        {
            InstanceUuid = uuid,
            ExpectedTaskStates = [TaskStates.PoweringOff],
            Changes = new InstanceChanges { VmState = VmStates.Stopped, SetTaskState = true, TaskState = null, PowerState = PowerStates.Shutdown },
        });
        Assert.True(stopped.Updated);
        Assert.Equal($"Cannot 'reboot' instance {uuid} while it is in vm_state stopped", (await ActAsync(uuid, InstanceActions.Reboot, rebootType: "SOFT")).ConflictMessage);
        var hard = await ActAsync(uuid, InstanceActions.Reboot, rebootType: "HARD");
        Assert.True(hard.Accepted, hard.ConflictMessage);
        Assert.Equal(TaskStates.RebootingHard, hard.Instance!.TaskState);
        var reboot = await WaitForAsync(() => Peers.CastsTo<RebootInstance>("host-1").FirstOrDefault(s => s.Instance.Uuid == uuid), "the reboot cast");
        Assert.Equal("HARD", reboot.RebootType);

        Assert.True((await ActAsync(NewUuid(), InstanceActions.Pause)).NotFound);

        var actions = (await Conductor.CallListInstanceActionsAsync(uuid)).Actions.Select(a => a.Action).ToList();
        Assert.Equal(["reboot", "stop", "create"], actions);

        // Versions of the events follow every change in order.
        var last = await WaitForStateAsync(uuid, e => e.TaskState == TaskStates.RebootingHard, "rebooting");
        Assert.Equal(Enumerable.Range(1, (int)last.Version).Select(v => (long)v), Peers.EventsOf(uuid).Select(e => e.Version).Order());
    }

    [Fact]
    public async Task An_action_delivered_again_after_a_crash_is_answered_as_accepted_and_cast_once()
    {
        var uuid = NewUuid();
        var active = await BuildActiveAsync(uuid);
        Act();
        var stop = new RequestInstanceAction { InstanceUuid = uuid, Action = InstanceActions.Stop };
        var first = await Conductor.CallInstanceActionAsync(stop);
        var again = await Conductor.CallInstanceActionAsync(stop);
        Assert.True(first.Accepted, first.ConflictMessage);
        Assert.True(again.Accepted, again.ConflictMessage);
        Assert.Equal(active.Version + 1, again.Instance!.Version);
        // Another stop is refused by the state guard, as before.
        Assert.Equal($"Cannot 'stop' instance {uuid} while it is in task_state powering-off",
            (await Conductor.CallInstanceActionAsync(stop with { ChangeId = Guid.NewGuid().ToString() })).ConflictMessage);

        await WaitForAsync(() => Peers.CastsTo<StopInstance>("host-1").FirstOrDefault(s => s.Instance.Uuid == uuid), "the stop cast");
        await Task.Delay(500);
        Assert.Single(Peers.CastsTo<StopInstance>("host-1"), s => s.Instance.Uuid == uuid);
        Assert.Equal(["stop", "create"], (await Conductor.CallListInstanceActionsAsync(uuid)).Actions.Select(a => a.Action));
    }

    [Fact]
    public async Task A_locked_instance_refuses_its_owner_until_unlocked()
    {
        var uuid = NewUuid();
        await BuildActiveAsync(uuid);
        var locked = await ActAsync(uuid, InstanceActions.Lock, admin: true);
        Assert.True(locked.Accepted);
        Assert.True(locked.Instance!.Locked);
        Assert.Equal("admin", locked.Instance.LockedBy);

        Assert.Equal($"Instance {uuid} is locked", (await ActAsync(uuid, InstanceActions.Stop)).ConflictMessage);
        Assert.Equal($"Instance {uuid} is locked", (await ActAsync(uuid, InstanceActions.Delete)).ConflictMessage);
        Assert.NotNull((await ActAsync(uuid, InstanceActions.Unlock)).ConflictMessage);

        // Renames are not locked out; an admin may act on a locked instance.
        Act();
        var renamed = await Conductor.CallInstanceActionAsync(new RequestInstanceAction { InstanceUuid = uuid, Action = InstanceActions.Update, DisplayName = "renamed", Tags = ["a", "b"] });
        Assert.True(renamed.Accepted);
        Assert.Equal("renamed", renamed.Instance!.DisplayName);
        Assert.Equal(["a", "b"], renamed.Instance.Tags);
        Assert.True((await ActAsync(uuid, InstanceActions.Pause, admin: true)).Accepted);

        var unlocked = await ActAsync(uuid, InstanceActions.Unlock, admin: true);
        Assert.True(unlocked.Accepted);
        Assert.False(unlocked.Instance!.Locked);
        Assert.Null(unlocked.Instance.LockedBy);
    }

    [Fact]
    public async Task A_delete_before_the_build_message_drops_the_build()
    {
        var uuid = NewUuid();
        var early = await ActAsync(uuid, InstanceActions.Delete);
        Assert.True(early.Accepted);

        Act();
        await Conductor.CastBuildInstancesAsync(Build(uuid));
        var gone = await WaitForStateAsync(uuid, e => e.Deleted, "deleted");
        Assert.Equal(VmStates.Deleted, gone.VmState);
        Assert.Equal(1, gone.Version);
        Assert.DoesNotContain(Peers.SchedulerRequests, r => r.InstanceUuids.Contains(uuid));
        Assert.True((await ActAsync(uuid, InstanceActions.Delete)).NotFound);
    }

    [Fact]
    public async Task Deletes_tear_down_on_the_host_or_at_once_when_there_is_none()
    {
        // On a host: deleting, terminate cast; the agent's final update soft-deletes.
        var uuid = NewUuid();
        await BuildActiveAsync(uuid);
        var deleting = await ActAsync(uuid, InstanceActions.Delete);
        Assert.Equal(TaskStates.Deleting, deleting.Instance!.TaskState);
        await WaitForAsync(() => Peers.CastsTo<TerminateInstance>("host-1").FirstOrDefault(t => t.Instance.Uuid == uuid), "the terminate cast");
        var done = await Conductor.CallInstanceUpdateAsync(new InstanceUpdate
        {
            InstanceUuid = uuid,
            ExpectedTaskStates = [TaskStates.Deleting],
            Changes = new InstanceChanges { Deleted = true, PowerState = PowerStates.NoState },
        });
        Assert.True(done.Updated);
        Assert.True(done.Instance!.Deleted);
        Assert.Equal(VmStates.Deleted, done.Instance.VmState);
        Assert.DoesNotContain((await Conductor.CallGetInstancesOnHostAsync("host-1")).Instances, i => i.Uuid == uuid);

        // In ERROR before it was placed: deleted right away, its allocation released.
        Peers.Answer = _ => new SelectDestinationsReply { NoValidHostReason = "none" };
        var failed = NewUuid();
        Act();
        await Conductor.CastBuildInstancesAsync(Build(failed));
        await WaitForStateAsync(failed, e => e.VmState == VmStates.Error, "ERROR");
        var now = await ActAsync(failed, InstanceActions.Delete);
        Assert.True(now.Accepted);
        Assert.True(now.Instance!.Deleted);
        Assert.True(await Eventually.TrueAsync(() => Placement.Deletes.Contains(failed), Wait));
        await WaitForStateAsync(failed, e => e.Deleted, "deleted");
    }

    [Fact]
    public async Task External_events_and_console_output_go_to_the_instances_host()
    {
        var uuid = NewUuid();
        await BuildActiveAsync(uuid);
        await Conductor.CastExternalInstanceEventsAsync(new ExternalInstanceEvents(
        [
            new ExternalEvent(NewUuid(), "network-vif-plugged", "port-x", "completed"),
            new ExternalEvent(uuid, "network-vif-plugged", "port-1", "completed"),
        ]));
        var heard = await WaitForAsync(() => Peers.CastsTo<ExternalInstanceEvent>("host-1").FirstOrDefault(e => e.InstanceUuid == uuid), "the external event");
        Assert.Equal("port-1", heard.Tag);
        Assert.Single(Peers.CastsTo<ExternalInstanceEvent>());

        var console = await Conductor.CallGetConsoleOutputAsync(new GetConsoleOutput(uuid, 10));
        Assert.Equal($"console of {uuid} on host-1", console.Output);
        Assert.True((await Conductor.CallGetConsoleOutputAsync(new GetConsoleOutput(NewUuid(), null))).NotFound);
    }
}
