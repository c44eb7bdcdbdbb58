using System.Data.Common;
using Dapper;
using Platform.Data;

namespace Image.Images;

/// <summary>The image rows, their properties and tags.</summary>
public sealed class ImageStore(IDbConnectionFactory db)
{
    public const string Columns = """
        id, name, status, visibility, protected, os_hidden, owner, size, virtual_size, checksum, os_hash_algo, os_hash_value,
        disk_format, container_format, min_disk, min_ram, location, created_at, updated_at
        """;

    public async Task<Image?> GetAsync(string id, DbConnection? connection = null, DbTransaction? tx = null, bool forUpdate = false)
    {
        await using var owned = connection is null ? await db.OpenAsync() : null;
        var c = connection ?? owned!;
        var image = await c.QuerySingleOrDefaultAsync<Image>($"SELECT {Columns} FROM images WHERE id = @id{(forUpdate ? " FOR UPDATE" : "")}", new { id }, tx);
        return image is null ? null : (await DecorateAsync(c, [image], tx))[0];
    }

    /// <summary>Reads the properties and tags of <paramref name="images"/> in two queries.</summary>
    public static async Task<IReadOnlyList<Image>> DecorateAsync(DbConnection c, IReadOnlyList<Image> images, DbTransaction? tx = null)
    {
        if (images.Count == 0) return images;
        var ids = images.Select(i => i.Id).ToList();
        var properties = (await c.QueryAsync<(string ImageId, string Name, string Value)>(
            "SELECT image_id, name, value FROM image_properties WHERE image_id IN @ids", new { ids }, tx)).ToLookup(p => p.ImageId);
        var tags = (await c.QueryAsync<(string ImageId, string Value)>(
            "SELECT image_id, value FROM image_tags WHERE image_id IN @ids ORDER BY value", new { ids }, tx)).ToLookup(t => t.ImageId, t => t.Value);
        return [.. images.Select(i => i with
        {
            Properties = properties[i.Id].ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal),
            Tags = [.. tags[i.Id]],
        })];
    }

    public static async Task InsertAsync(DbTransaction tx, Image image)
    {
        var c = tx.Connection!;
        await c.ExecuteAsync($"""
            INSERT INTO images ({Columns}) VALUES (@Id, @Name, @Status, @Visibility, @Protected, @OsHidden, @Owner, @Size, @VirtualSize,
              @Checksum, @OsHashAlgo, @OsHashValue, @DiskFormat, @ContainerFormat, @MinDisk, @MinRam, @Location, @CreatedAt, @UpdatedAt)
            """, image, tx);
        await WritePropertiesAsync(tx, image);
    }

    /// <summary>Writes the row's writable fields, properties and tags as they are now.</summary>
    public static async Task UpdateAsync(DbTransaction tx, Image image)
    {
        var c = tx.Connection!;
        await c.ExecuteAsync("""
            UPDATE images SET name = @Name, visibility = @Visibility, protected = @Protected, os_hidden = @OsHidden, owner = @Owner,
              disk_format = @DiskFormat, container_format = @ContainerFormat, min_disk = @MinDisk, min_ram = @MinRam, updated_at = @UpdatedAt
            WHERE id = @Id
            """, image, tx);
        await c.ExecuteAsync("DELETE FROM image_properties WHERE image_id = @Id", image, tx);
        await c.ExecuteAsync("DELETE FROM image_tags WHERE image_id = @Id", image, tx);
        await WritePropertiesAsync(tx, image);
    }

    private static async Task WritePropertiesAsync(DbTransaction tx, Image image)
    {
        var c = tx.Connection!;
        if (image.Properties.Count > 0)
            await c.ExecuteAsync("INSERT INTO image_properties (image_id, name, value) VALUES (@id, @name, @value)",
                image.Properties.Select(p => new { id = image.Id, name = p.Key, value = p.Value }), tx);
        if (image.Tags.Count > 0)
            await c.ExecuteAsync("INSERT INTO image_tags (image_id, value) VALUES (@id, @value)",
                image.Tags.Distinct(StringComparer.Ordinal).Select(t => new { id = image.Id, value = t }), tx);
    }

    /// <summary>Moves an image from one status to another only if nobody moved it first.</summary>
    public async Task<bool> TransitionAsync(string id, string from, string to)
    {
        await using var c = await db.OpenAsync();
        return await c.ExecuteAsync("UPDATE images SET status = @to, updated_at = UTC_TIMESTAMP(6) WHERE id = @id AND status = @from", new { id, from, to }) == 1;
    }

    /// <summary>The bytes a project's images hold (uploads under way count at their announced size), for its quota.</summary>
    public async Task<long> StoredBytesAsync(string owner)
    {
        await using var c = await db.OpenAsync();
        return (long)(await c.ExecuteScalarAsync<decimal?>("SELECT SUM(COALESCE(size, 0)) FROM images WHERE owner = @owner", new { owner }) ?? 0);
    }
}
