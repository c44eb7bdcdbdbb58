using System.Net;
using System.Text.Json.Nodes;
using ComputeApi.Common;
using Conductor.Contracts;
using Image.Contracts;
using Volume.Contracts;

namespace ComputeApi.Servers;

/// <summary>One entry of a create's <c>block_device_mapping_v2</c> whose destination is a volume.</summary>
public sealed record RequestedBlockDevice(string SourceType, string? Uuid, int? BootIndex, int? VolumeSize, bool DeleteOnTermination, string? DeviceName, string? Tag);

/// <summary>
/// The volumes of a server create (nova's block device mapping v2, destination volume): read and
/// checked as nova checks them, then made (source image, snapshot or blank) or reserved (source
/// volume) on the volume service with the caller's token, before the build is accepted. Making
/// them here rather than on the host means an over-quota or unknown volume is the caller's 4xx
/// at once, never a server in ERROR later.
/// </summary>
public static class ServerBlockDevices
{
    private static readonly string[] Sources = ["volume", "image", "snapshot", "blank"];

    /// <summary>The volume entries of the request; an image-to-local entry with boot index 0 is the image boot itself and is left out.</summary>
    public static List<RequestedBlockDevice> Parse(JsonObject server, bool hasImageRef, int maxCount)
    {
        if (server["block_device_mapping"] is JsonArray { Count: > 0 })
            throw NovaErrors.BadRequest("Block device mapping v1 is not supported by this cloud; use block_device_mapping_v2.");
        var list = NovaBody.Array(server, "block_device_mapping_v2");
        var devices = new List<RequestedBlockDevice>();
        if (list is null) return devices;
        foreach (var item in list)
        {
            if (item is not JsonObject b) throw NovaErrors.InvalidInput("block_device_mapping_v2", item?.ToJsonString(), "is not of type 'object'");
            var source = NovaBody.String(b, "source_type", 1, 255) ?? throw NovaErrors.BadRequest("Block Device Mapping is Invalid: Missing device source_type.");
            if (!Sources.Contains(source))
                throw NovaErrors.InvalidInput("block_device_mapping_v2/source_type", source, $"'{source}' is not one of ['volume', 'image', 'snapshot', 'blank']");
            var destination = NovaBody.String(b, "destination_type", 1, 255) ?? (source is "image" or "blank" ? "local" : "volume");
            if (destination is not ("local" or "volume"))
                throw NovaErrors.InvalidInput("block_device_mapping_v2/destination_type", destination, $"'{destination}' is not one of ['local', 'volume']");
            var bootIndex = b["boot_index"] is null ? (int?)null : NovaBody.Int(b, "boot_index");
            if (bootIndex < 0) bootIndex = null;
            var uuid = NovaBody.String(b, "uuid", 1, 255);
            if (destination == "local")
            {
                // What clients send beside imageRef for an ordinary image boot.
                if (source == "image" && bootIndex == 0 && hasImageRef) continue;
                throw NovaErrors.BadRequest("Block Device Mapping is Invalid: local disks other than the image's root disk are not supported by this cloud.");
            }
            if (source is "volume" or "image" or "snapshot" && (uuid is null || !ServerCreate.IsUuid(uuid)))
                throw NovaErrors.BadRequest($"Block Device Mapping is Invalid: {source} uuid is missing or not a uuid ({uuid}).");
            var size = NovaBody.Int(b, "volume_size", 0);
            if (source == "image" && size is null or 0)
                throw NovaErrors.BadRequest("Block Device Mapping is Invalid: Images with destination_type 'volume' need to have a non-zero size specified");
            if (source == "blank" && size is null or 0)
                throw NovaErrors.BadRequest("Block Device Mapping is Invalid: Blank volumes (source: 'blank', dest: 'volume') need to have non-zero size");
            var deviceName = NovaBody.String(b, "device_name", 0, 255);
            // "vdb" and "/dev/vdb" name the same device, as nova's prepend_dev.
            if (!string.IsNullOrEmpty(deviceName) && !deviceName.StartsWith("/dev/", StringComparison.Ordinal)) deviceName = "/dev/" + deviceName;
            devices.Add(new RequestedBlockDevice(source, uuid, bootIndex, size, NovaBody.Bool(b, "delete_on_termination") ?? false,
                string.IsNullOrEmpty(deviceName) ? null : deviceName, NovaBody.String(b, "tag", 0, 60)));
        }
        var boots = devices.Count(d => d.BootIndex == 0);
        if (boots > 1 || (boots == 1 && hasImageRef) || (boots == 0 && !hasImageRef))
            throw NovaErrors.BadRequest("Block Device Mapping is Invalid: Boot sequence for the instance and image/block device mapping combination is not valid.");
        if (maxCount > 1 && devices.Any(d => d.SourceType == "volume"))
            throw NovaErrors.BadRequest("Cannot attach one or more volumes to multiple instances");
        return devices;
    }

    /// <summary>
    /// The image a volume-backed server is described by (for the flavor and scheduler checks): the
    /// image of a boot volume made from one, or the image metadata a boot volume carries.
    /// </summary>
    public static async Task<ImageInfo> BootImageAsync(RequestedBlockDevice boot, ImageClient images, VolumeClient volumes)
    {
        switch (boot.SourceType)
        {
            case "image":
                try
                {
                    var image = await images.GetImageAsync(boot.Uuid!);
                    if (image.Status != "active") throw NovaErrors.BadRequest($"Image {boot.Uuid} is not active.");
                    return image;
                }
                catch (ImageNotFoundException)
                {
                    throw NovaErrors.BadRequest($"Block Device Mapping is Invalid: failed to get image {boot.Uuid}.");
                }
            case "volume":
                var volume = await GetVolumeAsync(volumes, boot.Uuid!);
                var meta = volume.ImageMetadata ?? [];
                return new ImageInfo
                {
                    Id = meta.GetValueOrDefault("image_id") ?? "",
                    Status = "active",
                    Name = meta.GetValueOrDefault("image_name"),
                    DiskFormat = meta.GetValueOrDefault("disk_format"),
                    ContainerFormat = meta.GetValueOrDefault("container_format"),
                    MinRam = int.TryParse(meta.GetValueOrDefault("min_ram"), out var ram) ? ram : 0,
                    MinDisk = int.TryParse(meta.GetValueOrDefault("min_disk"), out var disk) ? disk : 0,
                };
            default:
                return new ImageInfo { Id = "", Status = "active" };
        }
    }

    private static async Task<VolumeInfo> GetVolumeAsync(VolumeClient volumes, string id)
    {
        try
        {
            return await volumes.GetVolumeAsync(id);
        }
        catch (VolumeNotFoundException)
        {
            throw NovaErrors.BadRequest($"Block Device Mapping is Invalid: failed to get volume {id}.");
        }
    }

    /// <summary>
    /// Makes or reserves the volumes of one instance. What was made is in <paramref name="made"/>
    /// as it goes, so the caller can undo it if the create fails later.
    /// </summary>
    public static async Task<List<BlockDeviceInfo>> ProvideAsync(VolumeClient volumes, string instanceUuid,
        IReadOnlyList<RequestedBlockDevice> requested, List<BlockDeviceInfo> made)
    {
        var result = new List<BlockDeviceInfo>();
        var next = 'b';
        foreach (var r in requested.OrderBy(d => d.BootIndex == 0 ? 0 : 1))
        {
            var device = r.BootIndex == 0 ? "/dev/vda" : r.DeviceName ?? $"/dev/vd{next++}";
            BlockDeviceInfo info;
            try
            {
                if (r.SourceType == "volume")
                {
                    var volume = await GetVolumeAsync(volumes, r.Uuid!);
                    var attachmentId = await volumes.CreateAttachmentAsync(r.Uuid!, instanceUuid);
                    // The image a bootable volume was made from: what a rebuild may use again.
                    info = new BlockDeviceInfo { VolumeId = r.Uuid!, AttachmentId = attachmentId, ImageId = volume.ImageMetadata?.GetValueOrDefault("image_id") };
                }
                else
                {
                    // From a snapshot with no size asked for, the volume takes the snapshot's (the volume service knows it).
                    int? size = r.SourceType == "snapshot" && r.VolumeSize is null or 0 ? null : r.VolumeSize ?? 0;
                    var volume = await volumes.CreateVolumeAsync(size, "", imageId: r.SourceType == "image" ? r.Uuid : null,
                        snapshotId: r.SourceType == "snapshot" ? r.Uuid : null, availabilityZone: null, description: $"volume of server {instanceUuid}");
                    info = new BlockDeviceInfo { VolumeId = volume.Id };
                }
            }
            catch (VolumeServiceException e) when (e.Status == HttpStatusCode.RequestEntityTooLarge || e.Status == HttpStatusCode.Forbidden)
            {
                throw NovaErrors.QuotaExceeded($"Volume quota exceeded: {e.Detail}");
            }
            catch (VolumeServiceException e) when ((int)e.Status is >= 400 and < 500)
            {
                throw NovaErrors.BadRequest(r.SourceType == "volume" ? $"Invalid volume: {e.Detail}" : $"Block Device Mapping is Invalid: {e.Detail}");
            }
            info = info with
            {
                DeviceName = device, BootIndex = r.BootIndex, SourceType = r.SourceType, ImageId = r.SourceType == "image" ? r.Uuid : info.ImageId,
                SnapshotId = r.SourceType == "snapshot" ? r.Uuid : null, VolumeSize = r.VolumeSize, DeleteOnTermination = r.DeleteOnTermination, Tag = r.Tag,
            };
            made.Add(info);
            result.Add(info);
        }
        return result;
    }

    /// <summary>
    /// Undoes what a create that failed made: reserved volumes are released, made ones deleted
    /// once the volume service has finished making them (in the background; failures are logged).
    /// </summary>
    public static Task UndoAsync(VolumeClient volumes, IReadOnlyList<BlockDeviceInfo> made, ILogger logger) =>
        ReleaseAsync(volumes, made, d => d.AttachmentId is null, logger);

    /// <summary>Releases what a server deleted before any host had it holds: its attachments, and its delete_on_termination volumes.</summary>
    public static Task ReleaseAsync(VolumeClient volumes, IReadOnlyList<BlockDeviceInfo> devices, ILogger logger) =>
        ReleaseAsync(volumes, devices, d => d.DeleteOnTermination, logger);

    /// <summary>Ends each device's attachment and deletes the volumes <paramref name="deleteVolume"/> picks; each failure is logged and the rest go on.</summary>
    private static async Task ReleaseAsync(VolumeClient volumes, IReadOnlyList<BlockDeviceInfo> devices, Func<BlockDeviceInfo, bool> deleteVolume, ILogger logger)
    {
        foreach (var device in devices)
        {
            try
            {
                if (device.AttachmentId is { } attachmentId) await volumes.DeleteAttachmentAsync(attachmentId);
                if (deleteVolume(device)) _ = DeleteWhenMadeAsync(volumes, device.VolumeId, logger);
            }
            catch (Exception e)
            {
                logger.LogWarning("could not release volume {Volume}: {Error}", device.VolumeId, e.Message);
            }
        }
    }

    private static async Task DeleteWhenMadeAsync(VolumeClient volumes, string volumeId, ILogger logger)
    {
        try
        {
            for (var i = 0; i < 120; i++)
            {
                var volume = await volumes.GetVolumeAsync(volumeId);
                if (volume.Status is not ("creating" or "downloading" or "reserved" or "attaching" or "detaching")) break;
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
            await volumes.DeleteVolumeAsync(volumeId);
        }
        catch (VolumeNotFoundException)
        {
        }
        catch (Exception e)
        {
            logger.LogWarning("could not delete volume {Volume}: {Error}", volumeId, e.Message);
        }
    }
}
