using System.Text.Json.Nodes;
using Dapper;
using Image.Common;
using Image.Members;
using Image.Store;
using Platform.Data;
using Platform.Hosting;

namespace Image.Images;

/// <summary>/v2/images: create, list, show, PATCH, delete, tags, deactivate and reactivate.</summary>
public static class ImagesApi
{
    public const string PatchMediaType = "application/openstack-images-v2.1-json-patch";
    private const string PatchMediaTypeV20 = "application/openstack-images-v2.0-json-patch";

    public static void MapImages(this IEndpointRouteBuilder v2)
    {
        v2.MapPost("/images", CreateAsync);
        v2.MapGet("/images", ImageList.ListAsync);
        v2.MapGet("/images/{id}", ShowAsync);
        v2.MapMethods("/images/{id}", ["PATCH"], PatchAsync);
        v2.MapDelete("/images/{id}", DeleteAsync);
        v2.MapPut("/images/{id}/tags/{tag}", AddTagAsync);
        v2.MapDelete("/images/{id}/tags/{tag}", RemoveTagAsync);
        v2.MapPost("/images/{id}/actions/deactivate", (string id, ImageAccess access) => SetActivationAsync(id, access, deactivate: true));
        v2.MapPost("/images/{id}/actions/reactivate", (string id, ImageAccess access) => SetActivationAsync(id, access, deactivate: false));
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, IDbConnectionFactory db, ImageAuthz authz, ImageChanges changes,
        ImageQuota quota, TimeProvider time)
    {
        var body = await GlanceBody.ReadObjectAsync(request, "image");
        var caller = ImageAuthz.Caller;
        var now = time.GetUtcNow().UtcDateTime;
        var id = Guid.NewGuid().ToString();
        if (body["id"] is { } given)
        {
            if (!GlanceBody.IsString(given) || !Guid.TryParseExact(given.GetValue<string>(), "D", out var parsed))
                throw GlanceBody.Schema("image", $"{given.ToJsonString()} does not match the UUID pattern ('id')");
            id = parsed.ToString();
        }
        var image = new Image(id, null, ImageStatus.Queued, "shared", false, false, caller.ProjectId, null, null, null, null, null,
            null, null, 0, 0, null, now, now);
        foreach (var (name, value) in body)
        {
            if (name == "id") continue;
            image = changes.Apply(image, name, value);
        }
        // glance: the owner is the caller's project unless an admin names another.
        authz.Enforce("add_image", ImageAuthz.Target(image));
        if (image.Owner != caller.ProjectId && !authz.IsAdmin) throw ApiException.Forbidden("You are not permitted to create images owned by another project.");
        EnforceVisibility(authz, image, null);

        // Two creates for one project lock the same gap and one may be chosen as a deadlock
        // victim: it simply tries again, and then sees the other's row.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await InsertWithinQuotaAsync(db, image, quota);
                break;
            }
            catch (MySqlConnector.MySqlException e) when (e.ErrorCode == MySqlConnector.MySqlErrorCode.LockDeadlock && attempt < 5)
            {
                await Task.Delay(Random.Shared.Next(5, 20 * attempt));
            }
        }
        return new LocationResult(Results.Json(ImageView.Build(image), statusCode: StatusCodes.Status201Created), $"/v2/images/{id}");
    }

    private static async Task InsertWithinQuotaAsync(IDbConnectionFactory db, Image image, ImageQuota quota)
    {
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        // Counted with the owner's rows locked, so two creates at once cannot both take the last place.
        if (quota.ImageCountTotal >= 0 && image.Owner is not null
            && await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM images WHERE owner = @owner FOR UPDATE", new { owner = image.Owner }, tx) + 1 > quota.ImageCountTotal)
            throw new ApiException(System.Net.HttpStatusCode.RequestEntityTooLarge,
                $"Quota exceeded: the project may have at most {quota.ImageCountTotal} images (image_count_total).");
        try
        {
            await ImageStore.InsertAsync(tx, image);
        }
        catch (MySqlConnector.MySqlException e) when (e.IsDuplicateKey())
        {
            throw ApiException.Conflict($"Image with identifier {image.Id} already exists!");
        }
        await tx.CommitAsync();
    }

    /// <summary>Only an admin publishes; the owner's members may make an image community.</summary>
    public static void EnforceVisibility(ImageAuthz authz, Image image, string? before)
    {
        if (image.Visibility == before) return;
        if (image.Visibility == "public") authz.Enforce("publicize_image", ImageAuthz.Target(image));
        if (image.Visibility == "community") authz.Enforce("communitize_image", ImageAuthz.Target(image));
    }

    private static async Task<IResult> ShowAsync(string id, ImageAccess access)
    {
        var image = await access.FindVisibleAsync(id, "get_image");
        return Results.Json(ImageView.Build(image));
    }

    private static async Task<IResult> PatchAsync(string id, HttpRequest request, ImageAccess access, ImageAuthz authz, ImageChanges changes,
        IDbConnectionFactory db, TimeProvider time)
    {
        var mediaType = request.ContentType?.Split(';')[0].Trim();
        if (mediaType is not (PatchMediaType or PatchMediaTypeV20))
            throw new ApiException(System.Net.HttpStatusCode.UnsupportedMediaType,
                $"Unsupported Content-Type: {mediaType}. Use {PatchMediaType}.");
        if (await GlanceBody.ReadAsync(request) is not JsonArray ops)
            throw ApiException.BadRequest("Request body must be a JSON array of operation objects.");

        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        // Read once, locked: what is checked is what is changed.
        var before = Guid.TryParseExact(id, "D", out _) ? await access.Images.GetAsync(id, c, tx, forUpdate: true) : null;
        await access.EnsureVisibleAsync(before ?? throw ImageAccess.NotFound(id), "get_image");
        authz.Enforce("modify_image", ImageAuthz.Target(before));
        var image = before;
        foreach (var node in ops)
        {
            if (node is not JsonObject op) throw ApiException.BadRequest("Operations must be JSON objects.");
            var verb = op["op"] is JsonValue v && GlanceBody.IsString(v) ? v.GetValue<string>() : null;
            if (verb is not ("add" or "replace" or "remove"))
                throw ApiException.BadRequest("Unable to find `op` in JSON Schema change. It must be one of the following: add, remove, replace.");
            var path = op["path"] is JsonValue p && GlanceBody.IsString(p) ? p.GetValue<string>() : throw ApiException.BadRequest("Unable to find 'path' in JSON Schema change");
            var name = PointerName(path);
            if (verb == "remove")
            {
                image = ImageChanges.Remove(image, name);
                continue;
            }
            if (!op.ContainsKey("value")) throw ApiException.BadRequest($"Operation \"{verb}\" requires a member named \"value\".");
            if (name == "owner" && !authz.IsAdmin) throw ApiException.Forbidden("Owner can't be updated by non admin.");
            if (verb == "replace" && !ImageChanges.Has(image, name) && !ImageChanges.ReadOnly.Contains(name) && !ImageChanges.Reserved.Contains(name))
                throw ApiException.Conflict($"Property {name} does not exist.");
            image = changes.Apply(image, name, op["value"]?.DeepClone());
        }
        EnforceVisibility(authz, image, before.Visibility);
        if (image != before || !image.Properties.SequenceEqual(before.Properties) || !image.Tags.SequenceEqual(before.Tags))
        {
            image = image with { UpdatedAt = time.GetUtcNow().UtcDateTime };
            await ImageStore.UpdateAsync(tx, image);
        }
        await tx.CommitAsync();
        return Results.Json(ImageView.Build(image));
    }

    // A JSON pointer of one level ("/name"), with ~1 and ~0 unescaped.
    private static string PointerName(string path)
    {
        if (!path.StartsWith('/') || path.IndexOf('/', 1) >= 0)
            throw ApiException.BadRequest($"Invalid JSON pointer for this resource: '{path}'");
        return path[1..].Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
    }

    private static async Task<IResult> DeleteAsync(string id, ImageAccess access, ImageAuthz authz, IDbConnectionFactory db, IImageDataStore store,
        ILogger<ImageStore> logger)
    {
        var image = await access.FindVisibleAsync(id, "get_image");
        authz.Enforce("delete_image", ImageAuthz.Target(image));
        if (image.Protected) throw ApiException.Forbidden($"Image {id} is protected and cannot be deleted.");
        await using (var c = await db.OpenAsync())
        {
            if (await c.ExecuteAsync("DELETE FROM images WHERE id = @id AND protected = 0", new { id }) == 0)
                throw ImageAccess.NotFound(id);
        }
        // The row is gone first: a reader either finds the image whole or not at all.
        if (image.Location is { } location)
        {
            try { await store.DeleteAsync(location); }
            catch (IOException e) { logger.LogWarning("image {ImageId}: data at {Location} not removed: {Error}", id, location, e.Message); }
        }
        return Results.NoContent();
    }

    private static async Task<IResult> AddTagAsync(string id, string tag, ImageAccess access, ImageAuthz authz, IDbConnectionFactory db)
    {
        if (tag.Length > 255) throw ApiException.BadRequest("Tag is too long: at most 255 characters.");
        var image = await access.FindVisibleAsync(id, "get_image");
        authz.Enforce("modify_image", ImageAuthz.Target(image));
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        var count = await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM image_tags WHERE image_id = @id FOR UPDATE", new { id }, tx);
        var inserted = await c.ExecuteAsync("INSERT IGNORE INTO image_tags (image_id, value) VALUES (@id, @tag)", new { id, tag }, tx);
        if (inserted == 1 && count + 1 > ImageChanges.MaxTags) throw ImageChanges.TooMany("tags", ImageChanges.MaxTags);
        if (inserted == 1) await c.ExecuteAsync("UPDATE images SET updated_at = UTC_TIMESTAMP(6) WHERE id = @id", new { id }, tx);
        await tx.CommitAsync();
        return Results.NoContent();
    }

    private static async Task<IResult> RemoveTagAsync(string id, string tag, ImageAccess access, ImageAuthz authz, IDbConnectionFactory db)
    {
        var image = await access.FindVisibleAsync(id, "get_image");
        authz.Enforce("modify_image", ImageAuthz.Target(image));
        await using var c = await db.OpenAsync();
        if (await c.ExecuteAsync("DELETE FROM image_tags WHERE image_id = @id AND value = @tag", new { id, tag }) == 0)
            throw ApiException.NotFound($"Tag {tag} not found.");
        await c.ExecuteAsync("UPDATE images SET updated_at = UTC_TIMESTAMP(6) WHERE id = @id", new { id });
        return Results.NoContent();
    }

    private static async Task<IResult> SetActivationAsync(string id, ImageAccess access, bool deactivate)
    {
        var image = await access.FindVisibleAsync(id, "get_image");
        access.Authz.Enforce(deactivate ? "deactivate" : "reactivate", ImageAuthz.Target(image));
        var (from, to) = deactivate ? (ImageStatus.Active, ImageStatus.Deactivated) : (ImageStatus.Deactivated, ImageStatus.Active);
        if (image.Status == to) return Results.NoContent();
        if (image.Status != from)
            throw ApiException.Forbidden($"Not allowed to {(deactivate ? "deactivate" : "reactivate")} image in status '{image.Status}'");
        if (!await access.Images.TransitionAsync(id, from, to))
            throw ApiException.Conflict($"Image {id} changed status meanwhile; try again.");
        return Results.NoContent();
    }

    /// <summary>A result with a Location header, as glance's create answers.</summary>
    private sealed class LocationResult(IResult inner, string location) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.Location = location;
            return inner.ExecuteAsync(httpContext);
        }
    }
}
