using System.Data.Common;
using Dapper;

namespace Volume.Volumes;

/// <summary>What a volume's view needs beside its row: type name, metadata, attachments, image metadata.</summary>
public sealed record VolumeDetails(
    VolumeRow Row,
    string? TypeName,
    IReadOnlyDictionary<string, string> Metadata,
    IReadOnlyList<AttachmentRow> Attachments,
    IReadOnlyDictionary<string, string> ImageMetadata);

/// <summary>A row of volume_attachment.</summary>
public sealed class AttachmentRow
{
    public string Id { get; set; } = "";
    public string VolumeId { get; set; } = "";
    public string? InstanceUuid { get; set; }
    public string? AttachedHost { get; set; }
    public string? Mountpoint { get; set; }
    public DateTime? AttachTime { get; set; }
    public DateTime? DetachTime { get; set; }
    public string? AttachStatus { get; set; }
    public string? AttachMode { get; set; }
    public string? ConnectionInfo { get; set; }
    public string? Connector { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? UpdatedAt { get; set; }
}

/// <summary>Reads of volumes and of what their views show, batched per page.</summary>
public static class VolumeStore
{
    public const string Columns = """
        id, project_id, user_id, size, status, previous_status, attach_status, migration_status, display_name,
        display_description, availability_zone, volume_type_id, host, snapshot_id, source_volid, group_id, bootable,
        multiattach, use_quota, provider_location, provider_id, service_uuid, replication_status, created_at, updated_at,
        launched_at, deleted
        """;

    /// <summary>A volume not deleted, or null; <paramref name="forUpdate"/> locks its row in <paramref name="tx"/>.</summary>
    public static Task<VolumeRow?> GetAsync(DbConnection c, string id, DbTransaction? tx = null, bool forUpdate = false) =>
        c.QuerySingleOrDefaultAsync<VolumeRow>($"SELECT {Columns} FROM volumes WHERE id = @id AND deleted = 0{(forUpdate ? " FOR UPDATE" : "")}", new { id }, tx);

    public static async Task<IReadOnlyList<VolumeDetails>> DetailsAsync(DbConnection c, IReadOnlyList<VolumeRow> rows, DbTransaction? tx = null)
    {
        if (rows.Count == 0) return [];
        var ids = rows.Select(r => r.Id).ToArray();
        var typeIds = rows.Select(r => r.VolumeTypeId).Distinct().ToArray();
        using var results = await c.QueryMultipleAsync("""
            SELECT id, name FROM volume_types WHERE id IN @typeIds;
            SELECT volume_id, meta_key, meta_value FROM volume_metadata WHERE volume_id IN @ids;
            SELECT * FROM volume_attachment WHERE volume_id IN @ids AND deleted = 0 ORDER BY created_at;
            SELECT volume_id, meta_key, meta_value FROM volume_glance_metadata WHERE volume_id IN @ids ORDER BY id;
            """, new { ids, typeIds }, tx);
        var types = (await results.ReadAsync<(string Id, string Name)>()).ToDictionary(t => t.Id, t => t.Name);
        var metadata = (await results.ReadAsync<(string VolumeId, string Key, string Value)>()).ToLookup(m => m.VolumeId);
        var attachments = (await results.ReadAsync<AttachmentRow>()).ToLookup(a => a.VolumeId);
        var image = (await results.ReadAsync<(string VolumeId, string Key, string Value)>()).ToLookup(m => m.VolumeId);
        return [.. rows.Select(r => new VolumeDetails(r, types.GetValueOrDefault(r.VolumeTypeId),
            metadata[r.Id].ToDictionary(m => m.Key, m => m.Value),
            [.. attachments[r.Id]],
            image[r.Id].GroupBy(m => m.Key).ToDictionary(g => g.Key, g => g.Last().Value)))];
    }

    public static async Task<VolumeDetails> DetailsAsync(DbConnection c, VolumeRow row, DbTransaction? tx = null) =>
        (await DetailsAsync(c, [row], tx))[0];

    /// <summary>Replaces (or, with <paramref name="replace"/> false, merges into) a volume's metadata.</summary>
    public static async Task WriteMetadataAsync(DbTransaction tx, string volumeId, IReadOnlyDictionary<string, string> metadata, bool replace, DateTime now)
    {
        var c = tx.Connection!;
        if (replace) await c.ExecuteAsync("DELETE FROM volume_metadata WHERE volume_id = @volumeId", new { volumeId }, tx);
        if (metadata.Count == 0) return;
        await c.ExecuteAsync("""
            INSERT INTO volume_metadata (volume_id, meta_key, meta_value, created_at) VALUES (@volumeId, @Key, @Value, @now)
            ON DUPLICATE KEY UPDATE meta_value = VALUES(meta_value), updated_at = @now
            """, metadata.Select(m => new { volumeId, m.Key, m.Value, now }), tx);
    }
}
