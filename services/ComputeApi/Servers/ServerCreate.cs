using System.Data.Common;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ComputeApi.Common;
using ComputeApi.Flavors;
using ComputeApi.Keypairs;
using ComputeApi.Quotas;
using ComputeApi.ReadModel;
using ComputeApi.ServerGroups;
using Conductor.Contracts;
using Dapper;
using Image.Contracts;
using NetworkServer.Contracts;
using Platform.Data;
using Platform.Messaging.Outbox;
using Scheduler.Contracts;

namespace ComputeApi.Servers;

/// <summary>What a server create needs besides the request itself.</summary>
public sealed record ServerCreateDeps(
    IDbConnectionFactory Db, NovaAuthz Authz, FlavorStore Flavors, QuotaEngine Quotas, ImageClient Images, NetworkClient Networks,
    IOutbox Outbox, ServerGroupLookup Groups, AvailabilityZoneCheck Zones, TimeProvider Time, Volume.Contracts.VolumeClient Volumes,
    ILogger<ServerCreateDeps> Logger);

/// <summary>
/// POST /servers: validates the request as nova does (flavor, image as the user sees it,
/// networks and ports as the user sees them, key, zone, group), then in one transaction checks
/// the quotas with the project locked, writes the build requests and the read-model rows and
/// casts build_instances to the conductor through the outbox.
/// </summary>
public static partial class ServerCreate
{
    [GeneratedRegex("^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")]
    private static partial Regex UuidPattern();

    public static bool IsUuid(string text) => UuidPattern().IsMatch(text);

    public static async Task<IResult> CreateAsync(HttpContext http, [Microsoft.AspNetCore.Http.AsParameters] ServerCreateDeps deps)
    {
        var authz = deps.Authz;
        var caller = NovaAuthz.Caller;
        var projectId = caller.ProjectId ?? throw NovaErrors.Forbidden("A project-scoped token is required.");
        authz.Enforce("os_compute_api:servers:create", projectId);
        var version = http.Microversion();
        var root = await NovaBody.ReadAsync(http.Request);
        var server = NovaBody.Section(root, "server");

        var name = NovaBody.String(server, "name", 1, 255, required: true)!;
        if (name.Trim().Length == 0) throw NovaErrors.InvalidInput("name", name, $"'{name}' does not match '^(?! )[\\S ]*(?<! )$'");
        var flavorRef = server["flavorRef"] switch
        {
            null => throw NovaErrors.BadRequest("Invalid input for field/attribute flavorRef. Value: None. 'flavorRef' is a required property"),
            JsonValue v when v.TryGetValue<string>(out var s) && s.Length > 0 => s.Split('/')[^1],
            JsonValue v when v.TryGetValue<long>(out var n) && n >= 0 => n.ToString(System.Globalization.CultureInfo.InvariantCulture),
            var other => throw NovaErrors.InvalidInput("flavorRef", other.ToJsonString(), $"{other.ToJsonString()} is not of type 'string', 'integer'"),
        };
        var imageRef = (NovaBody.String(server, "imageRef", 0, 2048) ?? "").Split('/')[^1];
        var bootsFromVolume = imageRef.Length == 0 && server["block_device_mapping_v2"] is JsonArray { Count: > 0 };
        if (imageRef.Length == 0 && !bootsFromVolume) throw NovaErrors.BadRequest("Missing imageRef attribute");
        if (!bootsFromVolume && !IsUuid(imageRef)) throw NovaErrors.BadRequest("Invalid imageRef provided.");
        var keyName = NovaBody.String(server, "key_name", 1, 255);
        var userData = NovaBody.String(server, "user_data", 0, 65535);
        if (userData is not null && !IsBase64(userData)) throw NovaErrors.BadRequest("User data needs to be valid base 64.");
        var metadata = NovaBody.Metadata(server, "metadata");
        var zoneText = NovaBody.String(server, "availability_zone", 0, 255);
        var minCount = NovaBody.Int(server, "min_count", 1) ?? 1;
        var maxCount = NovaBody.Int(server, "max_count", 1) ?? minCount;
        if (minCount > maxCount) throw NovaErrors.BadRequest("min_count must be <= max_count");
        var description = version.AtLeast(19) ? NovaBody.NullableString(server, "description").Value : null;
        if (!version.AtLeast(19) && server.ContainsKey("description")) throw NovaErrors.BadRequest("Additional properties are not allowed ('description' was unexpected)");
        var tags = new List<string>();
        if (server.ContainsKey("tags"))
        {
            if (!version.AtLeast(52)) throw NovaErrors.BadRequest("Additional properties are not allowed ('tags' was unexpected)");
            tags = ServerTagsApi.Validate(NovaBody.Array(server, "tags")!);
        }
        var securityGroups = new List<string>();
        if (NovaBody.Array(server, "security_groups") is { } groups)
            foreach (var g in groups)
                securityGroups.Add(g is JsonObject o ? NovaBody.String(o, "name", 1, 255, required: true)! : throw NovaErrors.InvalidInput("security_groups", g?.ToJsonString(), "is not of type 'object'"));
        if (securityGroups.Count == 0) securityGroups.Add("default");
        var configDrive = NovaBody.Bool(server, "config_drive") ?? false;
        var accessIpV4 = NovaBody.String(server, "accessIPv4", 0, 255);
        var accessIpV6 = NovaBody.String(server, "accessIPv6", 0, 255);
        var adminPass = NovaBody.String(server, "adminPass", 0, 255) ?? NewPassword();
        var returnReservationId = NovaBody.Bool(server, "return_reservation_id") ?? false;
        var blockDevices = ServerBlockDevices.Parse(server, !bootsFromVolume, maxCount);
        if (blockDevices.Count > 0) authz.Enforce("os_compute_api:servers:create:attach_volume", projectId);
        var hints = SchedulerHints(root);
        var (requested, networkMode) = RequestedNetworks(server, version);

        await using var c = await deps.Db.OpenAsync();
        var flavor = await deps.Flavors.FindForBuildAsync(c, flavorRef, projectId, authz.IsAdmin)
            ?? throw NovaErrors.BadRequest("Invalid flavorRef provided.");
        string? keyData = null;
        if (keyName is not null)
            keyData = (await KeypairsApi.GetAsync(c, caller.UserId ?? "", keyName))?.PublicKey ?? throw NovaErrors.BadRequest("Invalid key_name provided.");
        if (metadata.Count > 0) await deps.Quotas.CheckMetadataAsync(c, projectId, metadata.Count);

        // The peers, concurrently: the image and each network or port as the user sees them.
        var imageTask = bootsFromVolume
            ? ServerBlockDevices.BootImageAsync(blockDevices.First(d => d.BootIndex == 0), deps.Images, deps.Volumes)
            : GetImageAsync(deps.Images, imageRef);
        var networksTask = ResolveNetworksAsync(deps.Networks, requested, networkMode, projectId);
        var zoneTask = deps.Zones.ResolveAsync(zoneText);
        var image = await imageTask;
        List<RequestedNetwork> networks;
        try
        {
            networks = await networksTask;
        }
        catch (NetworkServiceException e) when ((int)e.Status is >= 400 and < 500)
        {
            throw NovaErrors.BadRequest($"The network service refused the request: {e.Detail}");
        }
        var (zone, requestedHost) = await zoneTask;
        if (requestedHost is not null) authz.Enforce("os_compute_api:servers:create:forced_host", projectId);
        CheckImageFitsFlavor(image, flavor, bootsFromVolume);

        var now = deps.Time.GetUtcNow().UtcDateTime;
        var reservationId = "r-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var instances = Enumerable.Range(0, maxCount).Select(i =>
        {
            var displayName = maxCount > 1 ? $"{name}-{i + 1}" : name;
            return new InstanceToBuild(Guid.NewGuid().ToString(), displayName, Hostname(displayName), i);
        }).ToList();
        var flavorSpec = flavor.ToSpec();
        var imageSpec = new ImageSpec
        {
            Id = bootsFromVolume ? null : image.Id, Name = image.Name, DiskFormat = image.DiskFormat, ContainerFormat = image.ContainerFormat, Size = image.Size ?? 0,
            MinDisk = image.MinDisk, MinRam = image.MinRam, Checksum = image.Checksum,
            Properties = image.Properties.Where(p => p.Value.ValueKind == JsonValueKind.String).ToDictionary(p => p.Key, p => p.Value.GetString()!),
        };
        var build = new BuildInstances
        {
            Instances = instances,
            ProjectId = projectId,
            UserId = caller.UserId ?? "",
            Flavor = flavorSpec,
            Image = imageSpec,
            AvailabilityZone = zone,
            RequestedHost = requestedHost,
            KeyName = keyName,
            KeyData = keyData,
            UserData = userData,
            Description = description,
            Metadata = metadata,
            Networks = networks,
            NoNetworks = networkMode == "none",
            SecurityGroups = securityGroups,
            SchedulerHints = hints,
            Tags = tags,
            ConfigDrive = configDrive,
            ReservationId = reservationId,
            AccessIpV4 = accessIpV4,
            AccessIpV6 = accessIpV6,
        };

        // The volumes last, once everything else has been found good: made or reserved for each instance.
        var volumesMade = new List<BlockDeviceInfo>();
        try
        {
            if (blockDevices.Count > 0)
            {
                var provided = new List<InstanceToBuild>();
                foreach (var one in instances)
                    provided.Add(one with { BlockDevices = await ServerBlockDevices.ProvideAsync(deps.Volumes, one.Uuid, blockDevices, volumesMade) });
                instances = provided;
                build = build with { Instances = instances };
            }
            // Accepted in one transaction: the quota, the build request, the read model's row and the cast.
            await using (var tx = await c.BeginTransactionAsync())
            {
                // As nova: as many as fit between min_count and max_count, else refused for min_count.
                var count = maxCount > minCount ? Math.Max(minCount, await deps.Quotas.InstancesThatFitAsync(tx, projectId, flavor.Vcpus, flavor.MemoryMb, maxCount)) : maxCount;
                await deps.Quotas.CheckAsync(tx, projectId, new Dictionary<string, int>
                {
                    ["instances"] = count, ["cores"] = flavor.Vcpus * count, ["ram"] = flavor.MemoryMb * count,
                });
                if (count < instances.Count)
                {
                    instances = instances.Take(count).ToList();
                    build = build with { Instances = instances };
                }
                if (hints.TryGetValue("group", out var groupHint) && groupHint.Count > 0)
                {
                    var groupUuid = groupHint[0];
                    var group = await deps.Groups.GetForBuildAsync(tx, groupUuid, authz.IsAdmin ? null : projectId)
                        ?? throw NovaErrors.BadRequest($"Instance group {groupUuid} could not be found.");
                    await deps.Quotas.CheckGroupMembersAsync(tx, projectId, groupUuid, instances.Count);
                    foreach (var one in instances) await deps.Groups.AddMemberAsync(tx, groupUuid, one.Uuid);
                    build = build with { InstanceGroup = group.Spec, InstanceGroupMembers = group.Members };
                }
                var spec = JsonSerializer.Serialize(build);
                foreach (var one in instances)
                {
                    await c.ExecuteAsync("INSERT INTO build_requests (instance_uuid, project_id, request_spec, created_at) VALUES (@Uuid, @projectId, @spec, @now)",
                        new { one.Uuid, projectId, spec, now }, tx);
                    await InstanceStore.WriteAsync(c, new InstanceInfo
                    {
                        Uuid = one.Uuid,
                        Version = 0,
                        ProjectId = projectId,
                        UserId = caller.UserId,
                        DisplayName = one.DisplayName,
                        DisplayDescription = description,
                        Hostname = one.Hostname,
                        VmState = VmStates.Building,
                        TaskState = TaskStates.Scheduling,
                        PowerState = PowerStates.NoState,
                        AvailabilityZone = zone,
                        Flavor = flavorSpec,
                        ImageRef = bootsFromVolume ? "" : image.Id,
                        BlockDevices = one.BlockDevices,
                        KeyName = keyName,
                        Metadata = metadata,
                        SecurityGroups = securityGroups,
                        Tags = tags,
                        LaunchIndex = one.LaunchIndex,
                        ReservationId = reservationId,
                        ConfigDrive = configDrive,
                        AccessIpV4 = accessIpV4,
                        AccessIpV6 = accessIpV6,
                        CreatedAt = now,
                        UpdatedAt = now,
                    }, tx);
                }
                await deps.Outbox.CastAsync(tx, Conductor.Contracts.Topics.Conductor, build);
                await deps.Outbox.CommitAsync(tx);
            }
        }
        catch
        {
            await ServerBlockDevices.UndoAsync(deps.Volumes, volumesMade, deps.Logger);
            throw;
        }

        // Fewer instances than asked fitted the quota: the volumes made for the others go.
        var kept = instances.SelectMany(i => i.BlockDevices).Select(d => d.VolumeId).ToHashSet();
        if (volumesMade.Any(d => !kept.Contains(d.VolumeId)))
            await ServerBlockDevices.UndoAsync(deps.Volumes, [.. volumesMade.Where(d => !kept.Contains(d.VolumeId))], deps.Logger);

        if (returnReservationId) return Results.Json(new JsonObject { ["reservation_id"] = reservationId }, statusCode: StatusCodes.Status202Accepted);
        var first = instances[0];
        var view = new JsonObject
        {
            ["id"] = first.Uuid,
            ["links"] = FlavorsApi.Links(http.Request, "servers", first.Uuid),
            ["OS-DCF:diskConfig"] = "MANUAL",
            ["security_groups"] = new JsonArray([.. securityGroups.Select(g => (JsonNode)new JsonObject { ["name"] = g })]),
            ["adminPass"] = adminPass,
        };
        http.Response.Headers.Location = $"{ServerView.Root(http.Request)}/v2.1/servers/{first.Uuid}";
        return Results.Json(new JsonObject { ["server"] = view }, statusCode: StatusCodes.Status202Accepted);
    }

    private static bool IsBase64(string text)
    {
        var buffer = new byte[text.Length];
        return Convert.TryFromBase64String(text.Trim(), buffer, out _);
    }

    private static string NewPassword()
    {
        const string alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        return new string(RandomNumberGenerator.GetItems<char>(alphabet, 12));
    }

    /// <summary>nova's hostname from a display name: lower case letters, digits and dashes, at most 63.</summary>
    private static string Hostname(string displayName)
    {
        var h = Regex.Replace(displayName.ToLowerInvariant(), "[ _.]", "-");
        h = Regex.Replace(h, "[^a-z0-9-]", "").Trim('-');
        if (h.Length > 63) h = h[..63].Trim('-');
        return h.Length == 0 ? "server" : h;
    }

    private static Dictionary<string, IReadOnlyList<string>> SchedulerHints(JsonObject root)
    {
        var hints = new Dictionary<string, IReadOnlyList<string>>();
        var node = root["os:scheduler_hints"] ?? root["OS-SCH-HNT:scheduler_hints"];
        if (node is null) return hints;
        if (node is not JsonObject o) throw NovaErrors.InvalidInput("os:scheduler_hints", node.ToJsonString(), "is not of type 'object'");
        foreach (var (key, value) in o)
        {
            List<string> values = value switch
            {
                JsonArray a => [.. a.Select(v => v is JsonValue jv && jv.TryGetValue<string>(out var s) ? s : v?.ToJsonString() ?? "")],
                JsonValue v when v.TryGetValue<string>(out var s) => [s],
                null => [],
                var other => [other.ToJsonString()],
            };
            hints[key] = values;
        }
        if (hints.TryGetValue("group", out var group) && (group.Count != 1 || !IsUuid(group[0])))
            throw NovaErrors.InvalidInput("os:scheduler_hints/group", string.Join(",", group), $"'{string.Join(",", group)}' is not a 'uuid'");
        return hints;
    }

    /// <summary>The networks asked for: a list, or the mode "auto"/"none" (2.37+), or absent.</summary>
    private static (List<RequestedNetwork> Networks, string? Mode) RequestedNetworks(JsonObject server, Common.ApiVersion version)
    {
        var node = server["networks"];
        if (node is null)
        {
            if (version.AtLeast(37)) throw NovaErrors.BadRequest("Invalid input for field/attribute server. 'networks' is a required property");
            return ([], null);
        }
        if (node is JsonValue v && v.TryGetValue<string>(out var mode))
        {
            if (version.AtLeast(37) && mode is "auto" or "none") return ([], mode);
            throw NovaErrors.InvalidInput("networks", mode, $"'{mode}' is not of type 'array'");
        }
        if (node is not JsonArray list) throw NovaErrors.InvalidInput("networks", node.ToJsonString(), $"{node.ToJsonString()} is not of type 'array'");
        var networks = new List<RequestedNetwork>();
        foreach (var item in list)
        {
            if (item is not JsonObject n) throw NovaErrors.InvalidInput("networks", list.ToJsonString(), "is not of type 'object'");
            var allowed = version.AtLeast(32) ? new[] { "uuid", "port", "fixed_ip", "tag" } : ["uuid", "port", "fixed_ip"];
            NovaBody.Only(n, allowed);
            var uuid = NovaBody.String(n, "uuid", 0, 255);
            var port = NovaBody.String(n, "port", 0, 255);
            var fixedIp = NovaBody.String(n, "fixed_ip", 0, 64);
            if (port is not null)
            {
                if (!IsUuid(port)) throw NovaErrors.BadRequest($"Bad networks format: port uuid is not in proper format ({port})");
                networks.Add(new RequestedNetwork(uuid, port, null));
                continue;
            }
            if (uuid is null) throw NovaErrors.BadRequest("Bad network format: missing 'uuid'");
            if (!IsUuid(uuid)) throw NovaErrors.BadRequest($"Bad networks format: network uuid is not in proper format ({uuid})");
            if (fixedIp is not null && !System.Net.IPAddress.TryParse(fixedIp, out _)) throw NovaErrors.BadRequest($"Invalid fixed IP address ({fixedIp})");
            networks.Add(new RequestedNetwork(uuid, null, fixedIp));
        }
        return (networks, null);
    }

    private static async Task<ImageInfo> GetImageAsync(ImageClient images, string imageRef)
    {
        try
        {
            var image = await images.GetImageAsync(imageRef);
            if (image.Status != "active") throw NovaErrors.BadRequest($"Image {imageRef} is not active.");
            return image;
        }
        catch (ImageNotFoundException)
        {
            throw NovaErrors.BadRequest("Can not find requested image");
        }
    }

    private static void CheckImageFitsFlavor(ImageInfo image, FlavorRow flavor, bool volumeBacked)
    {
        if (image.MinRam > flavor.MemoryMb) throw NovaErrors.BadRequest("Flavor's memory is too small for requested image.");
        // A volume-backed server's root disk is its volume: the flavor's disk does not hold it.
        if (flavor.RootGb > 0 && !volumeBacked)
        {
            if (image.MinDisk > flavor.RootGb) throw NovaErrors.BadRequest("Flavor's disk is too small for requested image.");
            if ((image.Size ?? 0) > (long)flavor.RootGb * 1024 * 1024 * 1024)
                throw NovaErrors.BadRequest($"Flavor's disk is too small for requested image. Flavor disk is {(long)flavor.RootGb * 1024 * 1024 * 1024} bytes, image is {image.Size} bytes.");
        }
    }

    /// <summary>
    /// Each requested network and port checked as the user sees it; for "auto" (or nothing asked,
    /// before 2.37) the project's one usable network, refusing when there are several.
    /// </summary>
    private static async Task<List<RequestedNetwork>> ResolveNetworksAsync(NetworkClient client, List<RequestedNetwork> requested, string? mode, string projectId)
    {
        if (mode == "none") return [];
        if (requested.Count == 0)
        {
            var own = client.ListNetworksAsync($"project_id={Uri.EscapeDataString(projectId)}&shared=false");
            var shared = client.ListNetworksAsync("shared=true");
            var usable = (await own).Concat(await shared).Where(n => !n.External).DistinctBy(n => n.Id).ToList();
            if (usable.Count > 1) throw NovaErrors.Conflict("Multiple possible networks found, use a Network ID to be more specific.");
            if (usable.Count == 0)
            {
                if (mode == "auto") throw NovaErrors.BadRequest($"Unable to automatically allocate a network for project {projectId}");
                return [];
            }
            return [new RequestedNetwork(usable[0].Id)];
        }
        var checks = requested.Select(async r =>
        {
            if (r.PortId is not null)
            {
                var port = await client.GetPortAsync(r.PortId) ?? throw NovaErrors.BadRequest($"Port {r.PortId} could not be found.");
                if (!string.IsNullOrEmpty(port.DeviceId)) throw NovaErrors.Conflict($"Port {r.PortId} is still in use.");
                return r with { NetworkId = port.NetworkId };
            }
            var network = await client.GetNetworkAsync(r.NetworkId!) ?? throw NovaErrors.BadRequest($"Network {r.NetworkId} could not be found.");
            return r with { NetworkId = network.Id };
        });
        return [.. await Task.WhenAll(checks)];
    }
}
