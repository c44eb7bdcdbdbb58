using System.Text.Json;
using System.Text.Json.Nodes;
using ComputeApi.Common;
using Conductor.Contracts;
using ActionNames = Conductor.Contracts.InstanceActions;
using Image.Contracts;
using Scheduler.Contracts;

namespace ComputeApi.Servers;

/// <summary>POST /servers/{id}/action: the server actions, each checked by policy and handed to the conductor, which judges the state.</summary>
public static class ServerActionsApi
{
    public static void MapServerActions(this RouteGroupBuilder v21) => v21.MapPost("/servers/{id}/action", ActionAsync);

    private static async Task<IResult> ActionAsync(string id, HttpContext http, ServerAccess servers, ImageClient images, ConductorClient conductor)
    {
        var body = await NovaBody.ReadAsync(http.Request);
        if (body.Count != 1) throw NovaErrors.BadRequest("There is no such action: " + string.Join(",", body.Select(p => p.Key)));
        var (action, argument) = body.First();
        var authz = servers.Authz;
        var instance = await servers.FindAsync(id);
        var version = http.Microversion();
        RequestInstanceAction Simple(string what) => new() { InstanceUuid = id, Action = what, CallerIsAdmin = authz.IsAdmin };

        async Task<IResult> Do(string rule, RequestInstanceAction request)
        {
            authz.Enforce(rule, instance.ProjectId);
            await servers.RequestAsync(request);
            return Results.StatusCode(StatusCodes.Status202Accepted);
        }

        switch (action)
        {
            case "os-start":
                return await Do("os_compute_api:servers:start", Simple(ActionNames.Start));
            case "os-stop":
                return await Do("os_compute_api:servers:stop", Simple(ActionNames.Stop));
            case "pause":
                return await Do("os_compute_api:os-pause-server:pause", Simple(ActionNames.Pause));
            case "unpause":
                return await Do("os_compute_api:os-pause-server:unpause", Simple(ActionNames.Unpause));
            case "suspend":
                return await Do("os_compute_api:os-suspend-server:suspend", Simple(ActionNames.Suspend));
            case "resume":
                return await Do("os_compute_api:os-suspend-server:resume", Simple(ActionNames.Resume));
            case "reboot":
            {
                var args = argument as JsonObject ?? throw NovaErrors.InvalidInput("reboot", argument?.ToJsonString() ?? "None", "is not of type 'object'");
                var type = NovaBody.String(args, "type", required: true)!;
                if (type.ToUpperInvariant() is not ("SOFT" or "HARD"))
                    throw NovaErrors.InvalidInput("type", type, $"'{type}' is not one of ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft']");
                return await Do("os_compute_api:servers:reboot", Simple(ActionNames.Reboot) with { RebootType = type.ToUpperInvariant() });
            }
            case "lock":
            {
                string? reason = null;
                if (argument is JsonObject args && version.AtLeast(73)) reason = NovaBody.String(args, "locked_reason", 0, 255);
                return await Do("os_compute_api:os-lock-server:lock", Simple(ActionNames.Lock) with { LockedReason = reason });
            }
            case "unlock":
                return await Do("os_compute_api:os-lock-server:unlock", Simple(ActionNames.Unlock));
            case "rebuild":
                return await RebuildAsync(http, instance, argument, servers, images);
            case "createImage":
                return await CreateImageAsync(http, instance, argument, servers, images);
            case "os-getConsoleOutput":
            {
                authz.Enforce("os_compute_api:os-console-output", instance.ProjectId);
                int? length = null;
                if (argument is JsonObject args && args["length"] is not null)
                {
                    length = NovaBody.Int(args, "length", -1);
                    if (length == -1) length = null;
                }
                var reply = await conductor.CallGetConsoleOutputAsync(new GetConsoleOutput(id, length));
                if (reply.NotFound) throw NovaErrors.InstanceNotFound(id);
                if (reply.ConflictMessage is { } conflict) throw NovaErrors.Conflict(conflict);
                return Results.Json(new JsonObject { ["output"] = reply.Output ?? "" });
            }
            default:
                throw NovaErrors.BadRequest($"There is no such action: {action}");
        }
    }

    private static async Task<IResult> RebuildAsync(HttpContext http, InstanceInfo instance, JsonNode? argument, ServerAccess servers, ImageClient images)
    {
        var authz = servers.Authz;
        var args = argument as JsonObject ?? throw NovaErrors.InvalidInput("rebuild", argument?.ToJsonString() ?? "None", "is not of type 'object'");
        var imageRef = (NovaBody.String(args, "imageRef", 1, 2048, required: true) ?? "").Split('/')[^1];
        if (!ServerCreate.IsUuid(imageRef)) throw NovaErrors.BadRequest("Invalid imageRef provided.");
        var name = NovaBody.String(args, "name", 1, 255);
        var metadata = args.ContainsKey("metadata") ? NovaBody.Metadata(args, "metadata") : null;
        var adminPass = NovaBody.String(args, "adminPass", 0, 255);
        authz.Enforce("os_compute_api:servers:rebuild", instance.ProjectId);
        ImageInfo image;
        try
        {
            image = await images.GetImageAsync(imageRef);
        }
        catch (ImageNotFoundException)
        {
            throw NovaErrors.BadRequest("Can not find requested image");
        }
        if (image.Status != "active") throw NovaErrors.BadRequest($"Image {imageRef} is not active.");
        // A volume-backed server keeps its root volume: before 2.93 nova rebuilds it only with the
        // image that volume was made from.
        if (instance.BlockDevices.FirstOrDefault(d => d.IsRoot) is { } root && root.ImageId != image.Id)
            throw NovaErrors.BadRequest("Unable to rebuild with a different image for a volume-backed server.");
        if (image.MinRam > instance.Flavor.MemoryMb) throw NovaErrors.BadRequest("Flavor's memory is too small for requested image.");
        if (instance.Flavor.RootGb > 0 && image.MinDisk > instance.Flavor.RootGb) throw NovaErrors.BadRequest("Flavor's disk is too small for requested image.");
        var reply = await servers.RequestAsync(new RequestInstanceAction
        {
            InstanceUuid = instance.Uuid,
            Action = ActionNames.Rebuild,
            DisplayName = name,
            Metadata = metadata,
            CallerIsAdmin = authz.IsAdmin,
            Image = new ImageSpec
            {
                Id = image.Id, Name = image.Name, DiskFormat = image.DiskFormat, ContainerFormat = image.ContainerFormat, Size = image.Size ?? 0,
                MinDisk = image.MinDisk, MinRam = image.MinRam, Checksum = image.Checksum,
                Properties = image.Properties.Where(p => p.Value.ValueKind == JsonValueKind.String).ToDictionary(p => p.Key, p => p.Value.GetString()!),
            },
        });
        var rebuilt = reply.Instance ?? instance with
        {
            ImageRef = image.Id,
            DisplayName = name ?? instance.DisplayName,
            Metadata = metadata ?? instance.Metadata,
            TaskState = TaskStates.Rebuilding,
        };
        var view = ServerView.Detail(http, rebuilt, authz);
        view["adminPass"] = adminPass ?? Guid.NewGuid().ToString("N")[..12];
        return Results.Json(new JsonObject { ["server"] = view }, statusCode: StatusCodes.Status202Accepted);
    }

    private static async Task<IResult> CreateImageAsync(HttpContext http, InstanceInfo instance, JsonNode? argument, ServerAccess servers, ImageClient images)
    {
        var authz = servers.Authz;
        var args = argument as JsonObject ?? throw NovaErrors.InvalidInput("createImage", argument?.ToJsonString() ?? "None", "is not of type 'object'");
        var name = NovaBody.String(args, "name", 1, 255, required: true)!;
        var metadata = NovaBody.Metadata(args, "metadata");
        authz.Enforce("os_compute_api:servers:create_image", instance.ProjectId);
        if (instance.BlockDevices.Any(d => d.IsRoot))
            throw NovaErrors.BadRequest("Snapshots of volume-backed servers are not offered by this cloud yet; snapshot the volume instead (openstack volume snapshot create --force).");
        var attributes = new Dictionary<string, object?>
        {
            ["name"] = name,
            ["container_format"] = "bare",
            ["disk_format"] = "qcow2",
            ["visibility"] = "private",
            ["image_type"] = "snapshot",
            ["instance_uuid"] = instance.Uuid,
            ["user_id"] = NovaAuthz.Caller.UserId,
        };
        if (!string.IsNullOrEmpty(instance.ImageRef)) attributes["base_image_ref"] = instance.ImageRef;
        foreach (var (k, v) in metadata) attributes.TryAdd(k, v);
        ImageInfo image;
        try
        {
            image = await images.CreateImageAsync(attributes);
        }
        catch (HttpRequestException e) when (e.StatusCode is System.Net.HttpStatusCode.BadRequest or System.Net.HttpStatusCode.Conflict or System.Net.HttpStatusCode.Forbidden)
        {
            throw NovaErrors.BadRequest($"The image service refused the snapshot image: {e.Message}");
        }
        try
        {
            await servers.RequestAsync(new RequestInstanceAction
            {
                InstanceUuid = instance.Uuid, Action = ActionNames.CreateImage, SnapshotImageId = image.Id, CallerIsAdmin = authz.IsAdmin,
            });
        }
        catch
        {
            // The conductor refused: no snapshot will fill the record, so it goes.
            try { await images.DeleteImageAsync(image.Id); } catch (HttpRequestException) { }
            throw;
        }
        if (http.Microversion().AtLeast(45))
            return Results.Json(new JsonObject { ["image_id"] = image.Id }, statusCode: StatusCodes.Status202Accepted);
        http.Response.Headers.Location = $"{ServerView.Root(http.Request)}/images/{image.Id}";
        return Results.StatusCode(StatusCodes.Status202Accepted);
    }
}
