using System.Net;
using ComputeAgent.Virt;
using Conductor.Contracts;
using Volume.Contracts;

namespace ComputeAgent.Manager;

/// <summary>
/// Volumes on a host (nova's block device work): the compute API has made or reserved each volume;
/// the host connects it through the volume service's attachments API, hands the connection to the
/// driver, completes the attachment, and ends it again when the guest lets go or goes.
/// </summary>
public sealed partial class ComputeManager
{
    /// <summary>What this host tells the volume service about itself (os-brick's connector properties).</summary>
    private static Dictionary<string, string> Connector(ComputeHost host, string? mountpoint) => new()
    {
        ["host"] = host.Name,
        ["ip"] = "127.0.0.1",
        ["platform"] = "x86_64",
        ["os_type"] = "linux",
        ["multipath"] = "False",
        ["mountpoint"] = mountpoint ?? "",
    };

    /// <summary>
    /// Connects every volume of a build: waits for the volumes the API is still making, reserves
    /// those not reserved yet, and asks for the connection info. Answers the devices as they now
    /// are (with their attachments) and what the driver needs; what was connected is in <paramref name="made"/>.
    /// </summary>
    private async Task<List<(BlockDeviceInfo Device, VolumeMount Mount)>> ConnectVolumesAsync(ComputeHost host, InstanceInfo instance,
        List<BlockDeviceInfo> made, CancellationToken cancellationToken)
    {
        var connected = new List<(BlockDeviceInfo, VolumeMount)>();
        var nextLetter = 'b';
        foreach (var wanted in instance.BlockDevices)
        {
            var device = wanted with { DeviceName = wanted.DeviceName ?? (wanted.IsRoot ? "/dev/vda" : $"/dev/vd{nextLetter++}") };
            await WaitForVolumeAsync(device.VolumeId, cancellationToken);
            device = device with { AttachmentId = device.AttachmentId ?? await volumes.CreateAttachmentAsync(device.VolumeId, instance.Uuid, cancellationToken) };
            made.Add(device);
            var connection = await volumes.UpdateAttachmentAsync(device.AttachmentId!, Connector(host, device.DeviceName), cancellationToken);
            connected.Add((device, new VolumeMount(device.VolumeId, device.DeviceName!, connection.DriverVolumeType, connection.Data)));
        }
        return connected;
    }

    /// <summary>
    /// A volume the compute API asked for is usable once the volume service made it: looked at
    /// again, sooner at first, for at most <c>block_device_allocate_retries</c> looks.
    /// </summary>
    private async Task WaitForVolumeAsync(string volumeId, CancellationToken cancellationToken)
    {
        var pause = TimeSpan.FromMilliseconds(100);
        string status = "unknown";
        for (var attempt = 1; attempt <= Math.Max(1, settings.BlockDeviceAllocateRetries); attempt++)
        {
            var volume = await volumes.GetVolumeAsync(volumeId, cancellationToken);
            status = volume.Status;
            if (status is "available" or "reserved") return;
            if (status is "error" or "error_deleting" or "deleting")
                break;
            await Task.Delay(pause, cancellationToken);
            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, settings.BlockDeviceAllocateRetriesInterval.Ticks));
        }
        throw new InvalidOperationException($"Volume {volumeId} did not finish being created even after we waited; its status is {status}.");
    }

    /// <summary>The guest has its volumes: their attachments are completed (the volumes become in-use).</summary>
    private async Task<List<BlockDeviceInfo>> CompleteVolumesAsync(IEnumerable<BlockDeviceInfo> devices, CancellationToken cancellationToken)
    {
        var done = new List<BlockDeviceInfo>();
        foreach (var device in devices)
        {
            await volumes.CompleteAttachmentAsync(device.AttachmentId!, cancellationToken);
            done.Add(device with { Attached = true });
        }
        return done;
    }

    /// <summary>
    /// Ends the attachments of <paramref name="devices"/> (the volumes go back to available) and,
    /// where <paramref name="deleteVolumes"/>, deletes those marked delete_on_termination. Each
    /// failure is logged and the rest go on, as nova's cleanup of a deleted instance does.
    /// </summary>
    private async Task ReleaseVolumesAsync(string instanceUuid, IEnumerable<BlockDeviceInfo> devices, bool deleteVolumes)
    {
        foreach (var device in devices)
        {
            if (device.AttachmentId is { } attachmentId)
                await TryAsync(() => volumes.DeleteAttachmentAsync(attachmentId, CancellationToken.None), $"end attachment {attachmentId} of", instanceUuid);
            if (deleteVolumes && device.DeleteOnTermination)
                await TryAsync(() => volumes.DeleteVolumeAsync(device.VolumeId, CancellationToken.None), $"delete volume {device.VolumeId} of", instanceUuid);
        }
    }

    // ---- attach and detach on a guest that exists ----

    public async Task AttachVolumeAsync(InstanceInfo instance, BlockDeviceInfo device, CancellationToken cancellationToken)
    {
        if (OwnHost(instance) is not { } host) return;
        await using var held = await locks.AcquireAsync(instance.Uuid, cancellationToken);
        const string eventName = "compute_attach_volume";
        var requestId = RequestId();
        await RecordEventAsync(instance.Uuid, requestId, eventName, host.Name, finished: false, null, null);
        var handed = false;
        try
        {
            var attachmentId = device.AttachmentId ?? throw new InvalidOperationException($"volume {device.VolumeId} came without its attachment");
            var connection = await volumes.UpdateAttachmentAsync(attachmentId, Connector(host, device.DeviceName), cancellationToken);
            handed = true;
            await host.Driver.AttachVolumeAsync(instance, new VolumeMount(device.VolumeId, device.DeviceName!, connection.DriverVolumeType, connection.Data), cancellationToken);
            await volumes.CompleteAttachmentAsync(attachmentId, cancellationToken);
            await UpdateAsync(instance.Uuid, null, new InstanceChanges { SetBlockDevices = [device with { Attached = true }] }, cancellationToken);
            await RecordEventAsync(instance.Uuid, requestId, eventName, host.Name, finished: true, "Success", null);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // As nova: the guest lets go, the attachment ends (the volume is available again) and the mapping goes.
            logger.LogWarning(e, "attaching volume {Volume} to {Instance} failed on {Host}", device.VolumeId, instance.Uuid, host.Name);
            if (handed) await TryAsync(() => host.Driver.DetachVolumeAsync(instance, device.VolumeId, CancellationToken.None), "detach the volume from", instance.Uuid);
            await ReleaseVolumesAsync(instance.Uuid, [device], deleteVolumes: false);
            await TryAsync(() => UpdateAsync(instance.Uuid, null, new InstanceChanges { RemoveBlockDevices = [device.VolumeId] }, CancellationToken.None),
                "forget the volume of", instance.Uuid);
            await RecordEventAsync(instance.Uuid, requestId, eventName, host.Name, finished: true, "Error", e.ToString());
        }
    }

    public async Task DetachVolumeAsync(InstanceInfo instance, BlockDeviceInfo device, CancellationToken cancellationToken)
    {
        if (OwnHost(instance) is not { } host) return;
        await using var held = await locks.AcquireAsync(instance.Uuid, cancellationToken);
        const string eventName = "compute_detach_volume";
        var requestId = RequestId();
        await RecordEventAsync(instance.Uuid, requestId, eventName, host.Name, finished: false, null, null);
        try
        {
            await host.Driver.DetachVolumeAsync(instance, device.VolumeId, cancellationToken);
            if (device.AttachmentId is { } attachmentId) await volumes.DeleteAttachmentAsync(attachmentId, cancellationToken);
            await UpdateAsync(instance.Uuid, null, new InstanceChanges { RemoveBlockDevices = [device.VolumeId] }, cancellationToken);
            await RecordEventAsync(instance.Uuid, requestId, eventName, host.Name, finished: true, "Success", null);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // The volume stays the guest's: detaching goes back to in-use, and the detach can be asked again.
            logger.LogWarning(e, "detaching volume {Volume} from {Instance} failed on {Host}", device.VolumeId, instance.Uuid, host.Name);
            await TryAsync(async () =>
            {
                try
                {
                    await volumes.RollDetachingAsync(device.VolumeId, CancellationToken.None);
                }
                catch (VolumeServiceException v) when (v.Status == HttpStatusCode.BadRequest)
                {
                    // Not detaching any more (the attachment had ended): nothing to roll back.
                }
            }, "roll back the detach of a volume of", instance.Uuid);
            await RecordEventAsync(instance.Uuid, requestId, eventName, host.Name, finished: true, "Error", e.ToString());
        }
    }
}
