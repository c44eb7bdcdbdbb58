using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Dapper;
using Image.Contracts;
using MassTransit;
using Platform.Data;
using Volume.Contracts;
using Volume.Volumes;

namespace Volume.Backends;

/// <summary>
/// A backend worker's work (cinder-volume's manager): it owns the data of the volumes placed on
/// its backends and moves their rows out of the transient states. Each message may arrive twice
/// or after a restart; a row no longer in the state the message was for is left alone.
/// </summary>
public sealed class VolumeManager(IDbConnectionFactory db, VolumeBackends backends, ImageClient images, TimeProvider time, ILogger<VolumeManager> logger)
{
    public async Task CreateVolumeAsync(CreateVolume m, CancellationToken cancellationToken)
    {
        VolumeRow? row;
        await using (var c = await db.OpenAsync(cancellationToken))
            row = await VolumeStore.GetAsync(c, m.VolumeId);
        if (row is null || row.Status is not (VolumeStatus.Creating or VolumeStatus.Downloading)) return;
        var backend = Backend(row.Host, m.VolumeId);
        try
        {
            var bootable = false;
            List<(string Key, string Value)> imageMetadata = [];
            if (m.SnapshotId is not null)
            {
                await backend.Driver.CreateFromSnapshotAsync(row.Id, m.SnapshotId, row.Size, cancellationToken);
                (bootable, imageMetadata) = await SourceImageMetadataAsync("SELECT v.bootable FROM snapshots s JOIN volumes v ON v.id = s.volume_id WHERE s.id = @id",
                    "SELECT meta_key, meta_value FROM volume_glance_metadata WHERE snapshot_id = @id OR volume_id = (SELECT volume_id FROM snapshots WHERE id = @id) ORDER BY id",
                    m.SnapshotId, cancellationToken);
            }
            else if (m.SourceVolumeId is not null)
            {
                await backend.Driver.CloneAsync(row.Id, m.SourceVolumeId, row.Size, cancellationToken);
                (bootable, imageMetadata) = await SourceImageMetadataAsync("SELECT bootable FROM volumes WHERE id = @id",
                    "SELECT meta_key, meta_value FROM volume_glance_metadata WHERE volume_id = @id ORDER BY id", m.SourceVolumeId, cancellationToken);
            }
            else if (m.ImageId is not null)
            {
                await SetStatusAsync(row.Id, VolumeStatus.Creating, VolumeStatus.Downloading, cancellationToken);
                var image = await images.GetImageAsync(m.ImageId, cancellationToken);
                await using (var data = await images.OpenDataAsync(m.ImageId, cancellationToken))
                    await backend.Driver.CreateFromDataAsync(row.Id, data, row.Size, cancellationToken);
                bootable = true;
                imageMetadata = ImageMetadata(image);
            }
            else
            {
                await backend.Driver.CreateAsync(row.Id, row.Size, cancellationToken);
            }

            await using var c = await db.OpenAsync(cancellationToken);
            await using var tx = await c.BeginTransactionAsync(cancellationToken);
            var now = time.GetUtcNow().UtcDateTime;
            var done = await c.ExecuteAsync("""
                UPDATE volumes SET status = 'available', bootable = @bootable, launched_at = @now, updated_at = @now, provider_location = @location
                 WHERE id = @id AND status IN ('creating', 'downloading')
                """, new { row.Id, bootable, now, location = backend.BackendHost }, tx);
            if (done > 0 && imageMetadata.Count > 0)
            {
                await c.ExecuteAsync("DELETE FROM volume_glance_metadata WHERE volume_id = @id", new { row.Id }, tx);
                await c.ExecuteAsync("INSERT INTO volume_glance_metadata (volume_id, meta_key, meta_value, created_at) VALUES (@id, @Key, @Value, @now)",
                    imageMetadata.Select(kv => new { row.Id, kv.Key, kv.Value, now }), tx);
            }
            await tx.CommitAsync(cancellationToken);
            logger.LogInformation("created volume {Volume} ({Size} GiB) on {Backend}", row.Id, row.Size, backend.BackendHost);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "could not create volume {Volume} on {Backend}", row.Id, backend.BackendHost);
            await backend.Driver.DeleteAsync(row.Id, CancellationToken.None);
            await SetStatusAsync(row.Id, null, VolumeStatus.Error, CancellationToken.None, ["creating", "downloading"]);
        }
    }

    public async Task DeleteVolumeAsync(DeleteVolume m, CancellationToken cancellationToken)
    {
        VolumeRow? row;
        await using (var c = await db.OpenAsync(cancellationToken))
            row = await VolumeStore.GetAsync(c, m.VolumeId);
        if (row is null || row.Status != VolumeStatus.Deleting) return;
        var backend = Backend(row.Host, m.VolumeId);
        try
        {
            await backend.Driver.DeleteAsync(row.Id, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "could not delete volume {Volume} on {Backend}", row.Id, backend.BackendHost);
            await SetStatusAsync(row.Id, VolumeStatus.Deleting, VolumeStatus.ErrorDeleting, CancellationToken.None);
            return;
        }
        await using (var c = await db.OpenAsync(cancellationToken))
        {
            await using var tx = await c.BeginTransactionAsync(cancellationToken);
            var now = time.GetUtcNow().UtcDateTime;
            await c.ExecuteAsync("DELETE FROM volume_metadata WHERE volume_id = @id", new { row.Id }, tx);
            await c.ExecuteAsync("UPDATE volume_attachment SET deleted = 1, deleted_at = @now, attach_status = 'detached' WHERE volume_id = @id AND deleted = 0", new { row.Id, now }, tx);
            await c.ExecuteAsync("UPDATE volumes SET status = 'deleted', deleted = 1, deleted_at = @now, updated_at = @now WHERE id = @id AND status = 'deleting'", new { row.Id, now }, tx);
            await tx.CommitAsync(cancellationToken);
        }
        logger.LogInformation("deleted volume {Volume} on {Backend}", row.Id, backend.BackendHost);
    }

    public async Task ExtendVolumeAsync(ExtendVolume m, CancellationToken cancellationToken)
    {
        VolumeRow? row;
        await using (var c = await db.OpenAsync(cancellationToken))
            row = await VolumeStore.GetAsync(c, m.VolumeId);
        if (row is null || row.Status != VolumeStatus.Extending) return;
        var backend = Backend(row.Host, m.VolumeId);
        await using var conn = await db.OpenAsync(cancellationToken);
        var now = time.GetUtcNow().UtcDateTime;
        try
        {
            await backend.Driver.ExtendAsync(row.Id, m.NewSize, cancellationToken);
            await conn.ExecuteAsync("""
                UPDATE volumes SET status = COALESCE(previous_status, 'available'), previous_status = NULL, updated_at = @now
                 WHERE id = @id AND status = 'extending'
                """, new { row.Id, now });
            logger.LogInformation("extended volume {Volume} to {Size} GiB", row.Id, m.NewSize);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "could not extend volume {Volume} on {Backend}", row.Id, backend.BackendHost);
            await conn.ExecuteAsync("UPDATE volumes SET status = 'error_extending', size = @OldSize, updated_at = @now WHERE id = @id AND status = 'extending'",
                new { row.Id, m.OldSize, now });
        }
    }

    public async Task CreateSnapshotAsync(CreateSnapshot m, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        var snap = await c.QuerySingleOrDefaultAsync<(string Status, string VolumeId, string? Host)>(
            "SELECT s.status, s.volume_id, v.host FROM snapshots s JOIN volumes v ON v.id = s.volume_id WHERE s.id = @SnapshotId AND s.deleted = 0", new { m.SnapshotId });
        if (snap.Status != "creating") return;
        var backend = Backend(snap.Host, snap.VolumeId);
        var now = time.GetUtcNow().UtcDateTime;
        try
        {
            await backend.Driver.CreateSnapshotAsync(m.SnapshotId, snap.VolumeId, cancellationToken);
            await c.ExecuteAsync("UPDATE snapshots SET status = 'available', progress = '100%', updated_at = @now WHERE id = @SnapshotId AND status = 'creating'",
                new { m.SnapshotId, now });
            logger.LogInformation("created snapshot {Snapshot} of volume {Volume}", m.SnapshotId, snap.VolumeId);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "could not snapshot volume {Volume}", snap.VolumeId);
            await backend.Driver.DeleteSnapshotAsync(m.SnapshotId, CancellationToken.None);
            await c.ExecuteAsync("UPDATE snapshots SET status = 'error', updated_at = @now WHERE id = @SnapshotId AND status = 'creating'", new { m.SnapshotId, now });
        }
    }

    public async Task DeleteSnapshotAsync(DeleteSnapshot m, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        var snap = await c.QuerySingleOrDefaultAsync<(string Status, string VolumeId, string? Host)>(
            "SELECT s.status, s.volume_id, v.host FROM snapshots s JOIN volumes v ON v.id = s.volume_id WHERE s.id = @SnapshotId AND s.deleted = 0", new { m.SnapshotId });
        if (snap.Status != "deleting") return;
        var backend = Backend(snap.Host, snap.VolumeId);
        var now = time.GetUtcNow().UtcDateTime;
        try
        {
            await backend.Driver.DeleteSnapshotAsync(m.SnapshotId, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "could not delete snapshot {Snapshot}", m.SnapshotId);
            await c.ExecuteAsync("UPDATE snapshots SET status = 'error_deleting', updated_at = @now WHERE id = @SnapshotId AND status = 'deleting'", new { m.SnapshotId, now });
            return;
        }
        await using var tx = await c.BeginTransactionAsync(cancellationToken);
        await c.ExecuteAsync("DELETE FROM snapshot_metadata WHERE snapshot_id = @SnapshotId", new { m.SnapshotId }, tx);
        await c.ExecuteAsync("UPDATE snapshots SET status = 'deleted', deleted = 1, deleted_at = @now, updated_at = @now WHERE id = @SnapshotId AND status = 'deleting'",
            new { m.SnapshotId, now }, tx);
        await tx.CommitAsync(cancellationToken);
        logger.LogInformation("deleted snapshot {Snapshot}", m.SnapshotId);
    }

    public async Task<VolumeConnection> InitializeConnectionAsync(InitializeConnection m, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        var row = await VolumeStore.GetAsync(c, m.VolumeId) ?? throw new InvalidOperationException($"volume {m.VolumeId} does not exist");
        return Backend(row.Host, m.VolumeId).Driver.InitializeConnection(row.Id, m.Connector);
    }

    public async Task<TerminateConnectionReply> TerminateConnectionAsync(TerminateConnection m, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        var row = await VolumeStore.GetAsync(c, m.VolumeId) ?? throw new InvalidOperationException($"volume {m.VolumeId} does not exist");
        Backend(row.Host, m.VolumeId).Driver.TerminateConnection(row.Id, m.Connector);
        return new TerminateConnectionReply(true);
    }

    private VolumeBackend Backend(string? host, string volumeId) =>
        backends.For(host) ?? throw new InvalidOperationException($"volume {volumeId} is on '{host}', which is not a backend of this worker");

    private async Task SetStatusAsync(string id, string? from, string to, CancellationToken cancellationToken, IReadOnlyList<string>? fromAny = null)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        var statuses = fromAny ?? (from is null ? [] : [from]);
        await c.ExecuteAsync("UPDATE volumes SET status = @to, updated_at = @now WHERE id = @id AND status IN @statuses",
            new { id, to, statuses, now = time.GetUtcNow().UtcDateTime });
    }

    private async Task<(bool Bootable, List<(string Key, string Value)> Metadata)> SourceImageMetadataAsync(string bootableSql, string metadataSql, string id,
        CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        var bootable = await c.ExecuteScalarAsync<bool>(bootableSql, new { id });
        var metadata = (await c.QueryAsync<(string, string)>(metadataSql, new { id })).ToList();
        return (bootable, metadata);
    }

    /// <summary>What cinder copies of an image into the volume's image metadata: its identity, formats and properties.</summary>
    private static List<(string Key, string Value)> ImageMetadata(ImageInfo image)
    {
        var list = new List<(string, string)> { ("image_id", image.Id) };
        if (image.Name is not null) list.Add(("image_name", image.Name));
        if (image.Checksum is not null) list.Add(("checksum", image.Checksum));
        if (image.ContainerFormat is not null) list.Add(("container_format", image.ContainerFormat));
        if (image.DiskFormat is not null) list.Add(("disk_format", image.DiskFormat));
        list.Add(("min_disk", image.MinDisk.ToString(CultureInfo.InvariantCulture)));
        list.Add(("min_ram", image.MinRam.ToString(CultureInfo.InvariantCulture)));
        if (image.Size is { } size) list.Add(("size", size.ToString(CultureInfo.InvariantCulture)));
        string[] skip = ["id", "name", "status", "visibility", "owner", "size", "checksum", "os_hash_algo", "os_hash_value", "disk_format", "container_format",
            "min_disk", "min_ram", "created_at", "updated_at", "tags", "self", "file", "schema", "protected", "virtual_size", "direct_url", "locations", "os_hidden", "stores"];
        foreach (var (key, value) in image.Properties)
            if (!skip.Contains(key) && value.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False)
                list.Add((key, value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText()));
        return list;
    }
}

// ---- The backend's queue: one consumer per message, each handing it to the manager ----

public sealed class CreateVolumeConsumer(VolumeManager manager) : IConsumer<CreateVolume>
{
    public Task Consume(ConsumeContext<CreateVolume> context) => manager.CreateVolumeAsync(context.Message, context.CancellationToken);
}

public sealed class DeleteVolumeConsumer(VolumeManager manager) : IConsumer<DeleteVolume>
{
    public Task Consume(ConsumeContext<DeleteVolume> context) => manager.DeleteVolumeAsync(context.Message, context.CancellationToken);
}

public sealed class ExtendVolumeConsumer(VolumeManager manager) : IConsumer<ExtendVolume>
{
    public Task Consume(ConsumeContext<ExtendVolume> context) => manager.ExtendVolumeAsync(context.Message, context.CancellationToken);
}

public sealed class CreateSnapshotConsumer(VolumeManager manager) : IConsumer<CreateSnapshot>
{
    public Task Consume(ConsumeContext<CreateSnapshot> context) => manager.CreateSnapshotAsync(context.Message, context.CancellationToken);
}

public sealed class DeleteSnapshotConsumer(VolumeManager manager) : IConsumer<DeleteSnapshot>
{
    public Task Consume(ConsumeContext<DeleteSnapshot> context) => manager.DeleteSnapshotAsync(context.Message, context.CancellationToken);
}

public sealed class InitializeConnectionConsumer(VolumeManager manager) : IConsumer<InitializeConnection>
{
    public async Task Consume(ConsumeContext<InitializeConnection> context) =>
        await context.RespondAsync(await manager.InitializeConnectionAsync(context.Message, context.CancellationToken));
}

public sealed class TerminateConnectionConsumer(VolumeManager manager) : IConsumer<TerminateConnection>
{
    public async Task Consume(ConsumeContext<TerminateConnection> context) =>
        await context.RespondAsync(await manager.TerminateConnectionAsync(context.Message, context.CancellationToken));
}
