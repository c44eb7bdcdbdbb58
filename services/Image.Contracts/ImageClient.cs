using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Platform.Catalog;
using Platform.Context;

namespace Image.Contracts;

/// <summary>What compute and volume need to know of an image before they use its data.</summary>
public sealed record ImageInfo
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("status")] public required string Status { get; init; }
    [JsonPropertyName("visibility")] public string? Visibility { get; init; }
    [JsonPropertyName("owner")] public string? Owner { get; init; }
    [JsonPropertyName("size")] public long? Size { get; init; }
    [JsonPropertyName("checksum")] public string? Checksum { get; init; }
    [JsonPropertyName("os_hash_algo")] public string? OsHashAlgo { get; init; }
    [JsonPropertyName("os_hash_value")] public string? OsHashValue { get; init; }
    [JsonPropertyName("disk_format")] public string? DiskFormat { get; init; }
    [JsonPropertyName("container_format")] public string? ContainerFormat { get; init; }
    [JsonPropertyName("min_disk")] public int MinDisk { get; init; }
    [JsonPropertyName("min_ram")] public int MinRam { get; init; }

    /// <summary>Every attribute as glance sent it, the additional properties included (hw_*, os_*).</summary>
    [JsonExtensionData] public Dictionary<string, JsonElement> Properties { get; init; } = [];
}

/// <summary>The image does not exist, or the user on whose behalf we ask may not see it.</summary>
public sealed class ImageNotFoundException(string imageId) : Exception($"image {imageId} not found");

/// <summary>
/// The image service's REST API as other services call it: on behalf of the user of the current
/// request where its token is at hand (the user's token as <c>X-Auth-Token</c> and this service's
/// own as <c>X-Service-Token</c>, so the image service applies the user's visibility), and as the
/// service itself for work that came over the bus (<see cref="PeerRequests"/>).
/// </summary>
public sealed class ImageClient(HttpClient http, IServiceCatalog catalog)
{
    public const string ServiceType = "image";

    public async Task<ImageInfo> GetImageAsync(string imageId, CancellationToken cancellationToken = default)
    {
        using var request = await RequestAsync(HttpMethod.Get, $"v2/images/{Uri.EscapeDataString(imageId)}", cancellationToken);
        using var response = await http.SendAsync(request, cancellationToken);
        await EnsureFoundAsync(response, imageId);
        return await JsonSerializer.DeserializeAsync<ImageInfo>(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken)
            ?? throw new InvalidDataException($"the image service sent no image for {imageId}");
    }

    /// <summary>The image's data as a stream read straight from the response; the caller disposes it.</summary>
    public async Task<Stream> OpenDataAsync(string imageId, CancellationToken cancellationToken = default)
    {
        using var request = await RequestAsync(HttpMethod.Get, $"v2/images/{Uri.EscapeDataString(imageId)}/file", cancellationToken);
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        try
        {
            await EnsureFoundAsync(response, imageId);
            if (response.StatusCode == HttpStatusCode.NoContent) throw new InvalidOperationException($"image {imageId} has no data yet");
            return new ResponseStream(await response.Content.ReadAsStreamAsync(cancellationToken), response);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>Creates a queued image record (a snapshot's, before its data is uploaded).</summary>
    public async Task<ImageInfo> CreateImageAsync(IReadOnlyDictionary<string, object?> attributes, CancellationToken cancellationToken = default)
    {
        using var request = await RequestAsync(HttpMethod.Post, "v2/images", cancellationToken);
        request.Content = JsonContent.Create(attributes);
        using var response = await http.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"image service answered {(int)response.StatusCode} to an image create: {await response.Content.ReadAsStringAsync(cancellationToken)}",
                null, response.StatusCode);
        return await JsonSerializer.DeserializeAsync<ImageInfo>(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken)
            ?? throw new InvalidDataException("the image service sent no image");
    }

    /// <summary>Uploads the data of a queued image, streamed.</summary>
    public async Task UploadDataAsync(string imageId, Stream data, CancellationToken cancellationToken = default)
    {
        using var request = await RequestAsync(HttpMethod.Put, $"v2/images/{Uri.EscapeDataString(imageId)}/file", cancellationToken);
        request.Content = new StreamContent(data);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await http.SendAsync(request, cancellationToken);
        await EnsureFoundAsync(response, imageId);
    }

    /// <summary>Deletes an image (a snapshot whose upload failed).</summary>
    public async Task DeleteImageAsync(string imageId, CancellationToken cancellationToken = default)
    {
        using var request = await RequestAsync(HttpMethod.Delete, $"v2/images/{Uri.EscapeDataString(imageId)}", cancellationToken);
        using var response = await http.SendAsync(request, cancellationToken);
        if (response.StatusCode != HttpStatusCode.NotFound) await EnsureFoundAsync(response, imageId);
    }

    private Task<HttpRequestMessage> RequestAsync(HttpMethod method, string path, CancellationToken cancellationToken) =>
        PeerRequests.CreateAsync(catalog, ServiceType, method, path, cancellationToken);

    private static async Task EnsureFoundAsync(HttpResponseMessage response, string imageId)
    {
        if (response.StatusCode == HttpStatusCode.NotFound) throw new ImageNotFoundException(imageId);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"image service answered {(int)response.StatusCode} for image {imageId}: {await response.Content.ReadAsStringAsync()}",
                null, response.StatusCode);
    }

    /// <summary>Keeps the response alive for as long as its body is being read.</summary>
    private sealed class ResponseStream(Stream inner, HttpResponseMessage response) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => response.Content.Headers.ContentLength ?? throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                response.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
