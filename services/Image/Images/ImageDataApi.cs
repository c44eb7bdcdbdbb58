using System.Net;
using Dapper;
using Image.Common;
using Image.Store;
using Microsoft.AspNetCore.Http.Features;
using Platform.Data;
using Platform.Hosting;

namespace Image.Images;

/// <summary>
/// PUT and GET /v2/images/{id}/file. An upload moves the image queued -> saving -> active; one
/// that breaks off leaves it killed with its partial data removed. Downloads are streamed,
/// with Content-MD5 and byte ranges.
/// </summary>
public static class ImageDataApi
{
    /// <summary>How often an upload marks its image as still saving; the janitor kills those that stop.</summary>
    public static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(20);

    public static void MapImageData(this IEndpointRouteBuilder v2)
    {
        v2.MapPut("/images/{id}/file", UploadAsync);
        v2.MapGet("/images/{id}/file", DownloadAsync);
    }

    private static async Task<IResult> UploadAsync(string id, HttpContext http, ImageAccess access, IImageDataStore store, ImageQuota quota,
        IDbConnectionFactory db, ILogger<ImageStore> logger)
    {
        var image = await access.FindVisibleAsync(id, "get_image");
        access.Authz.Enforce("upload_image", ImageAuthz.Target(image));
        var mediaType = http.Request.ContentType?.Split(';')[0].Trim();
        if (mediaType is not null && mediaType != "application/octet-stream")
            throw new ApiException(HttpStatusCode.UnsupportedMediaType, $"Unsupported Content-Type: {mediaType}. Use application/octet-stream.");
        if (image.Status != ImageStatus.Queued)
            throw ApiException.Conflict($"Image status transition from {image.Status} to saving is not allowed");
        if (image.DiskFormat is null || image.ContainerFormat is null)
            throw ApiException.BadRequest("Properties disk_format, container_format must be set prior to saving data.");

        var length = http.Request.ContentLength;
        long? remaining = null;
        if (quota.ImageSizeTotalBytes >= 0 && image.Owner is not null)
        {
            remaining = Math.Max(0, quota.ImageSizeTotalBytes - await access.Images.StoredBytesAsync(image.Owner));
            // Refused before a byte is written when the client says how much is coming.
            if (length > remaining) throw QuotaExceeded(quota);
        }

        // Claim the image: of two uploads at once, one wins and the other gets a 409. The size
        // the client announced counts against the quota while the data arrives.
        await using (var c = await db.OpenAsync())
        {
            if (await c.ExecuteAsync("UPDATE images SET status = 'saving', size = @length, updated_at = UTC_TIMESTAMP(6) WHERE id = @id AND status = 'queued'",
                    new { id, length }) == 0)
                throw ApiException.Conflict("Image status transition from queued to saving is not allowed: another upload is under way.");
        }

        http.Features.Get<IHttpMaxRequestBodySizeFeature>()!.MaxRequestBodySize = null;
        var aborted = http.RequestAborted;
        try
        {
            UploadedData data;
            string location;
            await using (var writer = await store.BeginAsync(id, aborted))
            {
                data = await ImageUploader.CopyAsync(http.Request.Body, writer, remaining, () => TouchAsync(db, id), Heartbeat, aborted);
                location = await writer.CommitAsync(aborted);
            }
            await using var c = await db.OpenAsync();
            var done = await c.ExecuteAsync("""
                UPDATE images SET status = 'active', size = @Size, checksum = @Md5, os_hash_algo = 'sha512', os_hash_value = @Sha512,
                  location = @location, updated_at = UTC_TIMESTAMP(6)
                WHERE id = @id AND status = 'saving'
                """, new { data.Size, data.Md5, data.Sha512, location, id });
            if (done == 0)
            {
                // Deleted (or given up on) while the data came in: the data has no image to belong to.
                await store.DeleteAsync(location);
                throw new ApiException(HttpStatusCode.Gone, $"Image {id} could not be found after upload. The image may have been deleted during the upload.");
            }
            logger.LogInformation("image {ImageId}: {Size} bytes stored", id, data.Size);
            return Results.NoContent();
        }
        catch (UploadTooLargeException)
        {
            // Nothing was kept: the image may take a smaller upload.
            await SetStatusAsync(db, id, ImageStatus.Queued);
            throw QuotaExceeded(quota);
        }
        catch (Exception e) when (e is not ApiException)
        {
            await SetStatusAsync(db, id, ImageStatus.Killed);
            if (e is UploadInterruptedException)
            {
                logger.LogInformation("image {ImageId}: upload broke off ({Error}); image killed", id, e.InnerException?.Message);
                throw ApiException.BadRequest("The upload was interrupted before all the data arrived.");
            }
            logger.LogError(e, "image {ImageId}: upload failed; image killed", id);
            throw;
        }
    }

    private static ApiException QuotaExceeded(ImageQuota quota) =>
        new(HttpStatusCode.RequestEntityTooLarge, $"Storage quota exceeded: the project may store at most {quota.ImageSizeTotalBytes / (1024 * 1024)} MiB of images (image_size_total).");

    private static async Task TouchAsync(IDbConnectionFactory db, string id)
    {
        await using var c = await db.OpenAsync();
        await c.ExecuteAsync("UPDATE images SET updated_at = UTC_TIMESTAMP(6) WHERE id = @id AND status = 'saving'", new { id });
    }

    // Not tied to the request: it must happen even when the client has gone.
    private static async Task SetStatusAsync(IDbConnectionFactory db, string id, string status)
    {
        await using var c = await db.OpenAsync(CancellationToken.None);
        await c.ExecuteAsync("UPDATE images SET status = @status, size = NULL, updated_at = UTC_TIMESTAMP(6) WHERE id = @id AND status = 'saving'", new { id, status });
    }

    private static async Task<IResult> DownloadAsync(string id, HttpContext http, ImageAccess access, IImageDataStore store)
    {
        var image = await access.FindVisibleAsync(id, "download_image");
        if (image.Status == ImageStatus.Deactivated && !access.Authz.IsAdmin)
            throw ApiException.Forbidden("The requested image has been deactivated. Image data download is prohibited.");
        if (image.Location is null || image.Status is not (ImageStatus.Active or ImageStatus.Deactivated))
            return Results.NoContent();
        Stream data;
        try
        {
            data = store.OpenRead(image.Location);
        }
        catch (FileNotFoundException)
        {
            throw ApiException.NotFound($"Image {id} has no data in the store.");
        }
        // A range is served by ASP.NET Core's range handling; the whole image by our own copy,
        // which reads ahead while it sends. The digest is of the whole image only.
        if (http.Request.Headers.ContainsKey("Range"))
            return Results.Stream(data, "application/octet-stream", enableRangeProcessing: true);
        return new WholeImageResult(data, image.Checksum);
    }

    /// <summary>
    /// The whole image, sent from two 1 MiB buffers that take turns: one is read from the store
    /// while the other goes to the client, so the disk and the network work at the same time.
    /// </summary>
    private sealed class WholeImageResult(Stream data, string? checksum) : IResult
    {
        private const int ChunkSize = 1024 * 1024;

        public async Task ExecuteAsync(HttpContext http)
        {
            await using var source = data;
            var response = http.Response;
            response.ContentType = "application/octet-stream";
            response.ContentLength = source.Length;
            response.Headers.AcceptRanges = "bytes";
            if (checksum is not null) response.Headers["Content-MD5"] = checksum;
            var aborted = http.RequestAborted;
            byte[][] buffers = [System.Buffers.ArrayPool<byte>.Shared.Rent(ChunkSize), System.Buffers.ArrayPool<byte>.Shared.Rent(ChunkSize)];
            Task<int> next = Task.FromResult(0);
            try
            {
                var turn = 0;
                var read = await source.ReadAsync(buffers[turn].AsMemory(0, ChunkSize), aborted);
                while (read > 0)
                {
                    next = source.ReadAsync(buffers[turn ^ 1].AsMemory(0, ChunkSize), aborted).AsTask();
                    await response.Body.WriteAsync(buffers[turn].AsMemory(0, read), aborted);
                    read = await next;
                    turn ^= 1;
                }
            }
            finally
            {
                // A client that left mid-send may leave a read in flight: it must end before its buffer goes back.
                try { await next; } catch { /* the client's departure is the error that matters */ }
                System.Buffers.ArrayPool<byte>.Shared.Return(buffers[0]);
                System.Buffers.ArrayPool<byte>.Shared.Return(buffers[1]);
            }
        }
    }
}
