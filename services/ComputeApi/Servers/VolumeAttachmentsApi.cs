using System.Net;
using System.Text.Json.Nodes;
using ComputeApi.Common;
using Conductor.Contracts;
using Volume.Contracts;

namespace ComputeApi.Servers;

/// <summary>
/// os-volume_attachments: a server's volumes, attached and detached while it exists. The volume is
/// reserved (attach) or marked detaching (detach) on the volume service with the caller's token,
/// the conductor records the change on the instance and casts it to the host, and the host
/// connects or lets go of the volume and completes or ends its attachment.
/// </summary>
public static partial class VolumeAttachmentsApi
{
    [System.Text.RegularExpressions.GeneratedRegex("^(/dev/x{0,1}[a-z]{0,1}d{0,1})([a-z]+)[0-9]*$")]
    private static partial System.Text.RegularExpressions.Regex DevicePattern();

    public static void MapVolumeAttachments(this RouteGroupBuilder v21)
    {
        v21.MapGet("/servers/{id}/os-volume_attachments", ListAsync);
        v21.MapGet("/servers/{id}/os-volume_attachments/{volumeId}", ShowAsync);
        v21.MapPost("/servers/{id}/os-volume_attachments", AttachAsync);
        v21.MapDelete("/servers/{id}/os-volume_attachments/{volumeId}", DetachAsync);
    }

    private static async Task<IResult> ListAsync(string id, HttpContext http, ServerAccess servers)
    {
        var instance = await servers.FindAsync(id);
        servers.Authz.Enforce("os_compute_api:os-volumes-attachments:index", instance.ProjectId);
        var list = instance.BlockDevices.Select(d => (JsonNode)View(http, instance, d)).ToList();
        var limit = NovaBody.QueryInt(http.Request, "limit");
        var offset = NovaBody.QueryInt(http.Request, "offset") ?? 0;
        var page = list.Skip(offset).Take(limit ?? int.MaxValue);
        return Results.Json(new JsonObject { ["volumeAttachments"] = new JsonArray([.. page.Select(n => n.DeepClone())]) });
    }

    private static async Task<IResult> ShowAsync(string id, string volumeId, HttpContext http, ServerAccess servers)
    {
        var instance = await servers.FindAsync(id);
        servers.Authz.Enforce("os_compute_api:os-volumes-attachments:show", instance.ProjectId);
        var device = instance.BlockDevices.FirstOrDefault(d => d.VolumeId == volumeId)
            ?? throw NovaErrors.NotFound($"Instance {id} is not attached to volume {volumeId}.");
        return Results.Json(new JsonObject { ["volumeAttachment"] = View(http, instance, device) });
    }

    private static async Task<IResult> AttachAsync(string id, HttpContext http, ServerAccess servers, VolumeClient volumes)
    {
        var version = http.Microversion();
        var body = NovaBody.Section(await NovaBody.ReadAsync(http.Request), "volumeAttachment");
        var allowed = new List<string> { "volumeId", "device" };
        if (version.AtLeast(49)) allowed.Add("tag");
        if (version.AtLeast(79)) allowed.Add("delete_on_termination");
        NovaBody.Only(body, [.. allowed]);
        var volumeId = NovaBody.String(body, "volumeId", 1, 255, required: true)!;
        if (!ServerCreate.IsUuid(volumeId)) throw NovaErrors.InvalidInput("volumeAttachment/volumeId", volumeId, $"'{volumeId}' is not a 'uuid'");
        var device = body["device"] is null ? null : NovaBody.String(body, "device", 0, 255);
        if (!string.IsNullOrEmpty(device) && !DevicePattern().IsMatch(device))
            throw NovaErrors.InvalidInput("volumeAttachment/device", device, $"'{device}' does not match '(^/dev/x{{0,1}}[a-z]{{0,1}}d{{0,1}})([a-z]+)[0-9]*$'");
        var tag = NovaBody.String(body, "tag", 1, 60);
        var deleteOnTermination = NovaBody.Bool(body, "delete_on_termination") ?? false;

        var instance = await servers.FindAsync(id);
        servers.Authz.Enforce("os_compute_api:os-volumes-attachments:create", instance.ProjectId);
        // The state first, as nova checks it before it touches the volume.
        CheckState("attach_volume", instance);
        if (instance.BlockDevices.Any(d => d.VolumeId == volumeId))
            throw NovaErrors.BadRequest($"Invalid volume: volume {volumeId} is already attached to instance {id}.");

        string attachmentId;
        try
        {
            await volumes.GetVolumeAsync(volumeId);
            attachmentId = await volumes.CreateAttachmentAsync(volumeId, id);
        }
        catch (VolumeNotFoundException)
        {
            throw NovaErrors.NotFound($"Volume {volumeId} could not be found.");
        }
        catch (VolumeServiceException e) when ((int)e.Status is >= 400 and < 500)
        {
            throw NovaErrors.BadRequest($"Invalid volume: {e.Detail}");
        }

        InstanceActionReply reply;
        try
        {
            reply = await servers.RequestAsync(new RequestInstanceAction
            {
                InstanceUuid = id,
                Action = Conductor.Contracts.InstanceActions.AttachVolume,
                CallerIsAdmin = servers.Authz.IsAdmin,
                Volume = new BlockDeviceInfo
                {
                    VolumeId = volumeId, AttachmentId = attachmentId, DeviceName = string.IsNullOrEmpty(device) ? null : device,
                    Tag = tag, DeleteOnTermination = deleteOnTermination,
                },
            });
        }
        catch
        {
            // Refused: the volume is not left reserved for a server that will never take it.
            await volumes.DeleteAttachmentAsync(attachmentId);
            throw;
        }
        var attached = reply.Instance?.BlockDevices.FirstOrDefault(d => d.VolumeId == volumeId)
            ?? new BlockDeviceInfo { VolumeId = volumeId, AttachmentId = attachmentId, DeviceName = device, Tag = tag, DeleteOnTermination = deleteOnTermination };
        return Results.Json(new JsonObject { ["volumeAttachment"] = View(http, instance, attached) });
    }

    private static async Task<IResult> DetachAsync(string id, string volumeId, ServerAccess servers, VolumeClient volumes)
    {
        var instance = await servers.FindAsync(id);
        servers.Authz.Enforce("os_compute_api:os-volumes-attachments:delete", instance.ProjectId);
        CheckState("detach_volume", instance);
        var device = instance.BlockDevices.FirstOrDefault(d => d.VolumeId == volumeId)
            ?? throw NovaErrors.NotFound($"volume_id not found: {volumeId}");
        if (device.IsRoot) throw NovaErrors.BadRequest("Cannot detach a root device volume");
        try
        {
            await volumes.BeginDetachingAsync(volumeId);
        }
        catch (VolumeNotFoundException)
        {
            throw NovaErrors.NotFound($"Volume {volumeId} could not be found.");
        }
        catch (VolumeServiceException e) when ((int)e.Status is >= 400 and < 500)
        {
            throw NovaErrors.BadRequest($"Invalid volume: {e.Detail}");
        }
        try
        {
            await servers.RequestAsync(new RequestInstanceAction
            {
                InstanceUuid = id, Action = Conductor.Contracts.InstanceActions.DetachVolume, CallerIsAdmin = servers.Authz.IsAdmin, Volume = device,
            });
        }
        catch
        {
            await volumes.RollDetachingAsync(volumeId);
            throw;
        }
        return Results.StatusCode((int)HttpStatusCode.Accepted);
    }

    private static void CheckState(string action, InstanceInfo instance)
    {
        if (StateGuard.For(action)?.Refusal(action, instance.Uuid, instance.VmState, instance.TaskState) is { } refusal)
            throw NovaErrors.Conflict(refusal);
    }

    /// <summary>An attachment as nova shows it: the volume id twice (id and volumeId), then tag (2.70) and delete_on_termination (2.79).</summary>
    private static JsonObject View(HttpContext http, InstanceInfo instance, BlockDeviceInfo device)
    {
        var version = http.Microversion();
        var view = new JsonObject
        {
            ["device"] = device.DeviceName,
            ["id"] = device.VolumeId,
            ["serverId"] = instance.Uuid,
            ["volumeId"] = device.VolumeId,
        };
        if (version.AtLeast(70)) view["tag"] = device.Tag;
        if (version.AtLeast(79)) view["delete_on_termination"] = device.DeleteOnTermination;
        return view;
    }
}
