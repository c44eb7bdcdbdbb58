using ComputeAgent.Contracts;
using ComputeAgent.Virt.Fake;
using Conductor.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Scheduler.Contracts;
using Topics = ComputeAgent.Contracts.Topics;

namespace ComputeAgent.Tests;

public sealed class VolumeAgentEnvironment : AgentEnvironment
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["block_device_allocate_retries"] = "50",
        ["block_device_allocate_retries_interval"] = "0.2",
    };
}

/// <summary>
/// Volumes on a host, against a test conductor and a test volume API: a build waits for its
/// volume, connects and completes it; an attach the guest cannot take is undone; a detach and a
/// delete end the attachments, and delete_on_termination deletes the volume.
/// </summary>
public sealed class VolumeHostTests(VolumeAgentEnvironment env) : IClassFixture<VolumeAgentEnvironment>, IDisposable
{
    private const string Host = AgentEnvironment.Host1;
    private static readonly ImageSpec image = new() { Id = null, Name = "from-volume" };
    private readonly string directory = Directory.CreateTempSubdirectory("agent-volumes-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string NewVolume(string status, bool withFile = true)
    {
        var id = Guid.NewGuid().ToString();
        var path = Path.Combine(directory, $"volume-{id}");
        if (withFile)
        {
            using var f = File.Create(path);
            f.SetLength(1L << 30);
        }
        env.Peers.State.Volumes[id] = (status, path);
        return id;
    }

    private FakeDriver Driver => (FakeDriver)env.AgentServices.GetRequiredService<ComputeHosts>().Find(Host)!.Driver;

    private async Task<InstanceInfo> BuildAsync(IReadOnlyList<BlockDeviceInfo> devices)
    {
        var instance = env.Conductor.Add(TestConductorState.NewInstance(Host) with { ImageRef = "", BlockDevices = devices });
        await env.Rpc.CastAsync(Topics.ComputeOn(Host), new BuildAndRunInstance { Instance = instance, Image = image, Node = Host, NoNetworks = true });
        return instance;
    }

    [Fact]
    public async Task A_build_waits_for_its_boot_volume_then_connects_and_completes_it()
    {
        var volume = NewVolume("creating");
        var instance = await BuildAsync([new BlockDeviceInfo { VolumeId = volume, BootIndex = 0, DeviceName = "/dev/vda", SourceType = "image", DeleteOnTermination = true }]);
        // Still being made: the build waits in block_device_mapping.
        await env.WaitForAsync(instance.Uuid, i => i.TaskState == TaskStates.BlockDeviceMapping);
        await Task.Delay(500);
        Assert.Equal(TaskStates.BlockDeviceMapping, env.Conductor.Get(instance.Uuid).TaskState);
        env.Peers.State.Volumes[volume] = env.Peers.State.Volumes[volume] with { Status = "available" };

        var active = await env.WaitForAsync(instance.Uuid, i => i.VmState == VmStates.Active && i.TaskState is null);
        var device = Assert.Single(active.BlockDevices);
        Assert.True(device.Attached);
        var attachment = env.Peers.State.Attachments[device.AttachmentId!];
        Assert.True(attachment.Completed);
        Assert.Equal(instance.Uuid, attachment.Instance);
        Assert.Equal("in-use", env.Peers.State.Volumes[volume].Status);
        Assert.Equal("/dev/vda", Driver.GetVolumes(instance.Uuid)[volume].DeviceName);

        // Delete: the attachment ends and the volume, marked delete_on_termination, goes.
        await env.Rpc.CastAsync(Topics.ComputeOn(Host), new TerminateInstance(env.Conductor.SetTask(instance.Uuid, TaskStates.Deleting)));
        await env.WaitForAsync(instance.Uuid, i => i.Deleted);
        Assert.Contains(device.AttachmentId!, env.Peers.State.DeletedAttachments);
        Assert.Contains(volume, env.Peers.State.DeletedVolumes);
    }

    [Fact]
    public async Task Start_up_reconciliation_leaves_alone_a_build_that_finished_while_it_waited_for_it()
    {
        var volume = NewVolume("creating");
        var instance = await BuildAsync([new BlockDeviceInfo { VolumeId = volume, BootIndex = 0, DeviceName = "/dev/vda", SourceType = "image" }]);
        await env.WaitForAsync(instance.Uuid, i => i.TaskState == TaskStates.BlockDeviceMapping);

        // The host's start-up reconciliation reads the build in block_device_mapping, then waits
        // for the instance's lock, which the build holds until it is ACTIVE.
        var host = env.AgentServices.GetRequiredService<ComputeHosts>().Find(Host)!;
        using var scope = env.AgentServices.CreateScope();
        var reconcile = scope.ServiceProvider.GetRequiredService<ComputeAgent.Manager.ComputeManager>().InitHostAsync(host, CancellationToken.None);
        await Task.Delay(500);
        env.Peers.State.Volumes[volume] = env.Peers.State.Volumes[volume] with { Status = "available" };
        await env.WaitForAsync(instance.Uuid, i => i.VmState == VmStates.Active && i.TaskState is null);
        await reconcile;

        // What it read was stale: the instance stays ACTIVE and keeps its guest.
        Assert.Equal(VmStates.Active, env.Conductor.Get(instance.Uuid).VmState);
        Assert.Equal(PowerStates.Running, Driver.GetPowerState(instance.Uuid));
        Assert.Contains(volume, Driver.GetVolumes(instance.Uuid).Keys);
    }

    [Fact]
    public async Task An_attach_the_guest_cannot_take_is_undone_and_a_detach_ends_the_attachment()
    {
        var instance = await BuildAsync([]);
        var active = await env.WaitForAsync(instance.Uuid, i => i.VmState == VmStates.Active && i.TaskState is null);

        // Its file is not reachable from this host: the driver refuses, the attachment ends, the device goes.
        var unreachable = NewVolume("available", withFile: false);
        var reserved = await ReserveAsync(unreachable, active.Uuid);
        var refused = new BlockDeviceInfo { VolumeId = unreachable, AttachmentId = reserved, DeviceName = "/dev/vdb" };
        env.Conductor.Add(env.Conductor.Get(active.Uuid) with { BlockDevices = [refused] });
        await env.Rpc.CastAsync(Topics.ComputeOn(Host), new AttachVolume(env.Conductor.Get(active.Uuid), refused));
        await env.WaitForAsync(active.Uuid, i => i.BlockDevices.Count == 0);
        Assert.Contains(reserved, env.Peers.State.DeletedAttachments);
        Assert.Equal("available", env.Peers.State.Volumes[unreachable].Status);
        Assert.Empty(Driver.GetVolumes(active.Uuid));
        Assert.True(await AgentEnvironment.Until(() => env.Conductor.EventsOf(active.Uuid).Any(e => e.Event == "compute_attach_volume" && e.Result == "Error")));

        // One it can take: attached and completed; then detached, its attachment ended.
        var volume = NewVolume("available");
        var attachmentId = await ReserveAsync(volume, active.Uuid);
        var wanted = new BlockDeviceInfo { VolumeId = volume, AttachmentId = attachmentId, DeviceName = "/dev/vdb" };
        env.Conductor.Add(env.Conductor.Get(active.Uuid) with { BlockDevices = [wanted] });
        await env.Rpc.CastAsync(Topics.ComputeOn(Host), new AttachVolume(env.Conductor.Get(active.Uuid), wanted));
        var attached = await env.WaitForAsync(active.Uuid, i => i.BlockDevices.Any(d => d.VolumeId == volume && d.Attached));
        Assert.Equal("in-use", env.Peers.State.Volumes[volume].Status);
        Assert.Contains(volume, Driver.GetVolumes(active.Uuid).Keys);

        await env.Rpc.CastAsync(Topics.ComputeOn(Host), new DetachVolume(attached, attached.BlockDevices.Single()));
        await env.WaitForAsync(active.Uuid, i => i.BlockDevices.Count == 0);
        Assert.Contains(attachmentId, env.Peers.State.DeletedAttachments);
        Assert.Equal("available", env.Peers.State.Volumes[volume].Status);
        Assert.Empty(Driver.GetVolumes(active.Uuid));
        Assert.DoesNotContain(volume, env.Peers.State.DeletedVolumes);
    }

    /// <summary>What the compute API does before it asks for an attach: the volume reserved for the server.</summary>
    private Task<string> ReserveAsync(string volumeId, string instanceUuid)
    {
        var id = Guid.NewGuid().ToString();
        env.Peers.State.Attachments[id] = (volumeId, instanceUuid, false);
        env.Peers.State.Volumes[volumeId] = env.Peers.State.Volumes[volumeId] with { Status = "reserved" };
        return Task.FromResult(id);
    }
}
