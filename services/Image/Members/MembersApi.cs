using Dapper;
using Image.Common;
using Image.Images;
using Platform.Data;
using Platform.Hosting;

namespace Image.Members;

/// <summary>
/// /v2/images/{id}/members: the owner shares a <c>shared</c> image with a project, which then
/// accepts or rejects it; only accepted shares appear in that project's default image list.
/// </summary>
public static class MembersApi
{
    public const int MaxMembers = 128;
    private static readonly string[] Statuses = ["pending", "accepted", "rejected"];

    public static void MapMembers(this IEndpointRouteBuilder v2)
    {
        v2.MapPost("/images/{id}/members", AddAsync);
        v2.MapGet("/images/{id}/members", ListAsync);
        v2.MapGet("/images/{id}/members/{member}", ShowAsync);
        v2.MapPut("/images/{id}/members/{member}", UpdateAsync);
        v2.MapDelete("/images/{id}/members/{member}", DeleteAsync);
    }

    private const string Columns = "image_id, member, status, created_at, updated_at";

    private static async Task<Images.Image> SharedImageAsync(string id, ImageAccess access)
    {
        var image = await access.FindVisibleAsync(id, "get_image");
        if (image.Visibility != "shared") throw ApiException.Forbidden("Only shared images have members.");
        return image;
    }

    private static async Task<IResult> AddAsync(string id, HttpRequest request, ImageAccess access, IDbConnectionFactory db, TimeProvider time)
    {
        var body = await GlanceBody.ReadObjectAsync(request, "member");
        var member = GlanceBody.IsString(body["member"]) ? body["member"]!.GetValue<string>().Trim() : "";
        if (member.Length is 0 or > 255) throw ApiException.BadRequest("Member to be added not specified");
        var image = await SharedImageAsync(id, access);
        access.Authz.Enforce("add_member", ImageAuthz.Target(image, member));
        if (image.Owner is null || ImageAuthz.Caller.ProjectId != image.Owner && !access.Authz.IsAdmin)
            throw ApiException.Forbidden("You are not permitted to share this image.");
        var now = time.GetUtcNow().UtcDateTime;
        var row = new ImageMember(id, member, "pending", now, now);
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        var count = await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM image_members WHERE image_id = @id FOR UPDATE", new { id }, tx);
        if (count + 1 > MaxMembers) throw new ApiException(System.Net.HttpStatusCode.RequestEntityTooLarge, $"Maximum number of image members exceeded: {MaxMembers}.");
        try
        {
            await c.ExecuteAsync("INSERT INTO image_members (image_id, member, status, created_at, updated_at) VALUES (@ImageId, @Member, @Status, @CreatedAt, @UpdatedAt)", row, tx);
        }
        catch (MySqlConnector.MySqlException e) when (e.IsDuplicateKey())
        {
            throw ApiException.Conflict($"The target member {member} is already associated with image {id}.");
        }
        await tx.CommitAsync();
        return Results.Json(ImageView.Member(row));
    }

    private static async Task<IResult> ListAsync(string id, ImageAccess access, IDbConnectionFactory db)
    {
        var image = await SharedImageAsync(id, access);
        var project = ImageAuthz.Caller.ProjectId;
        access.Authz.Enforce("get_members", ImageAuthz.Target(image, project));
        await using var c = await db.OpenAsync();
        // The owner sees every member; a member sees only itself.
        var all = project == image.Owner || access.Authz.IsAdmin;
        var rows = await c.QueryAsync<ImageMember>(
            $"SELECT {Columns} FROM image_members WHERE image_id = @id AND (@all OR member = @project) ORDER BY created_at, member", new { id, all, project });
        return Results.Json(new { members = rows.Select(ImageView.Member), schema = "/v2/schemas/members" });
    }

    private static async Task<ImageMember> FindAsync(IDbConnectionFactory db, string id, string member)
    {
        await using var c = await db.OpenAsync();
        return await c.QuerySingleOrDefaultAsync<ImageMember>($"SELECT {Columns} FROM image_members WHERE image_id = @id AND member = @member", new { id, member })
            ?? throw ApiException.NotFound($"{member} is not a member of image {id}.");
    }

    private static async Task<IResult> ShowAsync(string id, string member, ImageAccess access, IDbConnectionFactory db)
    {
        var image = await SharedImageAsync(id, access);
        access.Authz.Enforce("get_member", ImageAuthz.Target(image, member));
        var project = ImageAuthz.Caller.ProjectId;
        if (project != image.Owner && project != member && !access.Authz.IsAdmin)
            throw ApiException.NotFound($"{member} is not a member of image {id}.");
        return Results.Json(ImageView.Member(await FindAsync(db, id, member)));
    }

    private static async Task<IResult> UpdateAsync(string id, string member, HttpRequest request, ImageAccess access, IDbConnectionFactory db, TimeProvider time)
    {
        var body = await GlanceBody.ReadObjectAsync(request, "member");
        var status = GlanceBody.IsString(body["status"]) ? body["status"]!.GetValue<string>() : null;
        if (status is null || !Statuses.Contains(status)) throw ApiException.BadRequest($"Invalid status: {status}");
        var image = await SharedImageAsync(id, access);
        var existing = await FindAsync(db, id, member);
        // Only the member itself says whether it takes the image.
        access.Authz.Enforce("modify_member", ImageAuthz.Target(image, member));
        if (ImageAuthz.Caller.ProjectId != member && !access.Authz.IsAdmin)
            throw ApiException.Forbidden("You are not permitted to modify 'status' on this image member.");
        var updated = existing with { Status = status, UpdatedAt = time.GetUtcNow().UtcDateTime };
        await using var c = await db.OpenAsync();
        await c.ExecuteAsync("UPDATE image_members SET status = @Status, updated_at = @UpdatedAt WHERE image_id = @ImageId AND member = @Member", updated);
        return Results.Json(ImageView.Member(updated));
    }

    private static async Task<IResult> DeleteAsync(string id, string member, ImageAccess access, IDbConnectionFactory db)
    {
        var image = await SharedImageAsync(id, access);
        access.Authz.Enforce("delete_member", ImageAuthz.Target(image, member));
        if (ImageAuthz.Caller.ProjectId != image.Owner && !access.Authz.IsAdmin)
            throw ApiException.Forbidden("You are not permitted to remove members of this image.");
        await using var c = await db.OpenAsync();
        if (await c.ExecuteAsync("DELETE FROM image_members WHERE image_id = @id AND member = @member", new { id, member }) == 0)
            throw ApiException.NotFound($"{member} is not a member of image {id}.");
        return Results.NoContent();
    }
}
