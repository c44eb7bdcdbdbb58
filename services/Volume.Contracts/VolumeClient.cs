using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Platform.Catalog;

namespace Volume.Contracts;

/// <summary>A volume as the compute services read it from the volume API.</summary>
public sealed record VolumeInfo
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("status")] public required string Status { get; init; }
    [JsonPropertyName("size")] public int Size { get; init; }
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("availability_zone")] public string? AvailabilityZone { get; init; }
    [JsonPropertyName("bootable")] public string? Bootable { get; init; }
    [JsonPropertyName("multiattach")] public bool Multiattach { get; init; }

    /// <summary>The image's properties, for a volume made from an image (what a server booted from it is checked against).</summary>
    [JsonPropertyName("volume_image_metadata")] public Dictionary<string, string>? ImageMetadata { get; init; }
}

/// <summary>The volume does not exist, or the user on whose behalf we ask may not see it.</summary>
public sealed class VolumeNotFoundException(string volumeId) : Exception($"Volume {volumeId} could not be found.")
{
    public string VolumeId { get; } = volumeId;
}

/// <summary>The volume API refused a request: its status and cinder's message.</summary>
public sealed class VolumeServiceException(HttpStatusCode status, string detail) : Exception($"the volume service answered {(int)status}: {detail}")
{
    public HttpStatusCode Status { get; } = status;
    public string Detail { get; } = detail;
}

/// <summary>
/// The volume service's REST API (cinder v3, microversion 3.44) as the compute services call it,
/// as nova's cinder client does: on behalf of the user where the user's token is at hand (the
/// compute API), as the service itself for work that came over the bus (a compute host).
/// </summary>
public sealed class VolumeClient(HttpClient http, IServiceCatalog catalog)
{
    public const string ServiceType = "volumev3";

    /// <summary>The attachments API with its completion step (3.44).</summary>
    public const string Microversion = "3.44";

    public async Task<VolumeInfo> GetVolumeAsync(string volumeId, CancellationToken cancellationToken = default)
    {
        var body = await SendAsync(HttpMethod.Get, $"volumes/{Uri.EscapeDataString(volumeId)}", null, volumeId, cancellationToken);
        return body!["volume"].Deserialize<VolumeInfo>() ?? throw new InvalidDataException($"the volume service sent no volume for {volumeId}");
    }

    /// <summary>Creates a volume (empty, or from an image or a snapshot); it is <c>creating</c> when this returns.</summary>
    /// <param name="size">GiB; null only with a snapshot, whose size the volume then takes.</param>
    public async Task<VolumeInfo> CreateVolumeAsync(int? size, string? name, string? imageId = null, string? snapshotId = null,
        string? availabilityZone = null, string? description = null, CancellationToken cancellationToken = default)
    {
        var volume = new JsonObject { ["name"] = name, ["description"] = description };
        if (size is not null) volume["size"] = size;
        if (imageId is not null) volume["imageRef"] = imageId;
        if (snapshotId is not null) volume["snapshot_id"] = snapshotId;
        if (availabilityZone is not null) volume["availability_zone"] = availabilityZone;
        var body = await SendAsync(HttpMethod.Post, "volumes", new JsonObject { ["volume"] = volume }, null, cancellationToken);
        return body!["volume"].Deserialize<VolumeInfo>() ?? throw new InvalidDataException("the volume service sent no volume");
    }

    /// <summary>Deletes a volume; one already gone is not an error.</summary>
    public async Task DeleteVolumeAsync(string volumeId, CancellationToken cancellationToken = default)
    {
        try
        {
            await SendAsync(HttpMethod.Delete, $"volumes/{Uri.EscapeDataString(volumeId)}", null, volumeId, cancellationToken);
        }
        catch (VolumeNotFoundException)
        {
        }
    }

    /// <summary>Reserves the volume for <paramref name="instanceUuid"/> (attachment_create with no connector): the volume is <c>reserved</c>.</summary>
    public async Task<string> CreateAttachmentAsync(string volumeId, string instanceUuid, CancellationToken cancellationToken = default)
    {
        var body = await SendAsync(HttpMethod.Post, "attachments",
            new JsonObject { ["attachment"] = new JsonObject { ["volume_uuid"] = volumeId, ["instance_uuid"] = instanceUuid } }, volumeId, cancellationToken);
        return body!["attachment"]?["id"]?.GetValue<string>() ?? throw new InvalidDataException("the volume service sent no attachment");
    }

    /// <summary>attachment_update: how the host described by <paramref name="connector"/> reaches the volume.</summary>
    public async Task<VolumeConnection> UpdateAttachmentAsync(string attachmentId, IReadOnlyDictionary<string, string> connector, CancellationToken cancellationToken = default)
    {
        var c = new JsonObject();
        foreach (var (k, v) in connector) c[k] = v;
        var body = await SendAsync(HttpMethod.Put, $"attachments/{Uri.EscapeDataString(attachmentId)}",
            new JsonObject { ["attachment"] = new JsonObject { ["connector"] = c } }, null, cancellationToken);
        var info = body!["attachment"]?["connection_info"] as JsonObject ?? throw new InvalidDataException($"attachment {attachmentId} has no connection info");
        var data = (info["data"] as JsonObject ?? []).ToDictionary(kv => kv.Key, kv => kv.Value is JsonValue v && v.TryGetValue<string>(out var s) ? s : kv.Value?.ToJsonString() ?? "");
        return new VolumeConnection(info["driver_volume_type"]?.GetValue<string>() ?? "", data);
    }

    /// <summary>attachment_complete: the guest has the volume; it is <c>in-use</c>.</summary>
    public Task CompleteAttachmentAsync(string attachmentId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"attachments/{Uri.EscapeDataString(attachmentId)}/action", new JsonObject { ["os-complete"] = null }, null, cancellationToken);

    /// <summary>attachment_delete: the host let go; the volume is <c>available</c> again when it was the last one. One already gone is not an error.</summary>
    public async Task DeleteAttachmentAsync(string attachmentId, CancellationToken cancellationToken = default)
    {
        try
        {
            await SendAsync(HttpMethod.Delete, $"attachments/{Uri.EscapeDataString(attachmentId)}", null, attachmentId, cancellationToken);
        }
        catch (VolumeNotFoundException)
        {
        }
    }

    /// <summary>os-begin_detaching: the volume is <c>detaching</c> while the host lets go.</summary>
    public Task BeginDetachingAsync(string volumeId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"volumes/{Uri.EscapeDataString(volumeId)}/action", new JsonObject { ["os-begin_detaching"] = new JsonObject() }, volumeId, cancellationToken);

    /// <summary>os-roll_detaching: a detach that did not happen; the volume is <c>in-use</c> again.</summary>
    public Task RollDetachingAsync(string volumeId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"volumes/{Uri.EscapeDataString(volumeId)}/action", new JsonObject { ["os-roll_detaching"] = new JsonObject() }, volumeId, cancellationToken);

    private async Task<JsonNode?> SendAsync(HttpMethod method, string path, JsonObject? body, string? notFoundId, CancellationToken cancellationToken)
    {
        using var request = await PeerRequests.CreateAsync(catalog, ServiceType, method, path, cancellationToken);
        request.Headers.Add("OpenStack-API-Version", $"volume {Microversion}");
        if (body is not null) request.Content = JsonContent.Create(body);
        using var response = await http.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound && notFoundId is not null) throw new VolumeNotFoundException(notFoundId);
        if (!response.IsSuccessStatusCode) throw new VolumeServiceException(response.StatusCode, Message(text));
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }

    /// <summary>cinder's error body, <c>{"badRequest": {"message": ..., "code": 400}}</c>, down to its message.</summary>
    private static string Message(string text)
    {
        try
        {
            if (JsonNode.Parse(text) is JsonObject o && o.FirstOrDefault().Value?["message"]?.GetValue<string>() is { } message) return message;
        }
        catch (JsonException)
        {
        }
        return text.Length > 300 ? text[..300] : text;
    }
}
