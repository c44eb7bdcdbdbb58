using Dapper;
using Image.Common;
using Platform.Data;
using Platform.Hosting;

namespace Image.Images;

/// <summary>Finds an image the caller may see; one it may not see does not exist for it (404, never 403).</summary>
public sealed class ImageAccess(ImageStore images, ImageAuthz authz, IDbConnectionFactory db)
{
    public ImageStore Images => images;
    public ImageAuthz Authz => authz;

    public static ApiException NotFound(string id) => ApiException.NotFound($"No image found with ID {id}");

    public async Task<Image> FindVisibleAsync(string id, string rule)
    {
        if (!Guid.TryParseExact(id, "D", out _)) throw NotFound(id);
        var image = await images.GetAsync(id) ?? throw NotFound(id);
        await EnsureVisibleAsync(image, rule);
        return image;
    }

    /// <summary>As <see cref="FindVisibleAsync"/> for an image already read (under a lock, say).</summary>
    public async Task EnsureVisibleAsync(Image image, string rule)
    {
        var member = await IsMemberAsync(image);
        if (!authz.CanSee(image, member)) throw NotFound(image.Id);
        // The caller's project is the target's member_id when the image is shared with it.
        authz.Enforce(rule, ImageAuthz.Target(image, member ? ImageAuthz.Caller.ProjectId : null));
    }

    private async Task<bool> IsMemberAsync(Image image)
    {
        if (image.Visibility != "shared" || ImageAuthz.Caller.ProjectId is not { } project || project == image.Owner) return false;
        await using var c = await db.OpenAsync();
        return await c.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM image_members WHERE image_id = @id AND member = @project",
            new { id = image.Id, project }) > 0;
    }
}
