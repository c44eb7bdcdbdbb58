using System.Data.Common;
using System.Globalization;
using Dapper;

namespace Volume.Quotas;

/// <summary>One resource of a project's quota: its limit (-1 is unlimited) and what the project uses of it.</summary>
public sealed record QuotaUsage(string Resource, int Limit, long InUse);

/// <summary>
/// cinder's quotas: the global resources (volumes, per_volume_gigabytes, snapshots, gigabytes,
/// backups, backup_gigabytes), three per volume type (volumes_&lt;type&gt;, gigabytes_&lt;type&gt;,
/// snapshots_&lt;type&gt;) and groups, in cinder's order. Defaults come from cinder's options
/// (<c>[DEFAULT] quota_volumes</c>, ...; per-type ones are unlimited); a project's own limits
/// from the quotas table. What a project uses is counted from the volumes, snapshots, backups
/// and groups that are not deleted, so it is true from the first volume on.
/// </summary>
public sealed class QuotaEngine
{
    /// <summary>The global resources, the option that sets each default, and cinder's default.</summary>
    public static readonly IReadOnlyList<(string Resource, string Option, int Default)> Global =
    [
        ("volumes", "quota_volumes", 10),
        ("per_volume_gigabytes", "per_volume_size_limit", -1),
        ("snapshots", "quota_snapshots", 10),
        ("gigabytes", "quota_gigabytes", 1000),
        ("backups", "quota_backups", 10),
        ("backup_gigabytes", "quota_backup_gigabytes", 1000),
    ];

    /// <summary>cinder's group quotas (a quota engine of their own there), shown after the per-type ones.</summary>
    public static readonly (string Resource, string Option, int Default) Groups = ("groups", "quota_groups", 10);

    /// <summary>The resources each volume type adds, as <c>&lt;part&gt;_&lt;type name&gt;</c>.</summary>
    public static readonly IReadOnlyList<string> PerTypeParts = ["volumes", "gigabytes", "snapshots"];

    /// <summary>Members of a quota set that are not resources (cinderclient sends <c>tenant_id</c>).</summary>
    public static readonly IReadOnlyList<string> NonQuotaKeys = ["tenant_id", "id"];

    public const int LockBuckets = 64;

    private readonly Dictionary<string, int> defaults;

    public QuotaEngine(IConfiguration configuration)
    {
        defaults = Global.Append(Groups).ToDictionary(r => r.Resource, r => Option(configuration, r.Option, r.Default));
        var noSnapshotGb = configuration["no_snapshot_gb_quota"] ?? configuration["DEFAULT:no_snapshot_gb_quota"];
        SnapshotsCountInGigabytes = !(bool.TryParse(noSnapshotGb, out var b) && b);
    }

    /// <summary>False with <c>[DEFAULT] no_snapshot_gb_quota = true</c>: then gigabytes counts volumes only.</summary>
    public bool SnapshotsCountInGigabytes { get; }

    private static int Option(IConfiguration configuration, string option, int fallback)
    {
        var text = configuration[option] ?? configuration[$"DEFAULT:{option}"];
        if (string.IsNullOrWhiteSpace(text)) return fallback;
        return int.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite, CultureInfo.InvariantCulture, out var value) && value >= -1
            ? value
            : throw new InvalidOperationException($"[DEFAULT] {option} must be an integer of -1 or more, not '{text}'");
    }

    /// <summary>The volume types there are (not deleted), by name: each adds its per-type resources.</summary>
    public static async Task<IReadOnlyList<(string Id, string Name)>> VolumeTypesAsync(DbConnection c, DbTransaction? tx = null) =>
        [.. await c.QueryAsync<(string, string)>("SELECT id, name FROM volume_types WHERE deleted = 0 ORDER BY name", transaction: tx)];

    /// <summary>Every resource name, in cinder's order, for these volume types.</summary>
    public static IEnumerable<string> Resources(IEnumerable<(string Id, string Name)> types) =>
        Global.Select(g => g.Resource)
            .Concat(types.SelectMany(t => PerTypeParts.Select(part => $"{part}_{t.Name}")))
            .Append(Groups.Resource);

    /// <summary>The default limit of every resource, in cinder's order (per-type resources are unlimited by default).</summary>
    public async Task<List<(string Resource, int Limit)>> DefaultsAsync(DbConnection c, DbTransaction? tx = null) =>
        [.. Resources(await VolumeTypesAsync(c, tx)).Select(r => (r, defaults.GetValueOrDefault(r, -1)))];

    /// <summary>
    /// The limits of <paramref name="projectId"/> (its own where it has them, else the defaults),
    /// with what it uses when <paramref name="withUsage"/>, in cinder's order.
    /// </summary>
    public async Task<List<QuotaUsage>> ProjectAsync(DbConnection c, string projectId, bool withUsage, DbTransaction? tx = null)
    {
        var types = await VolumeTypesAsync(c, tx);
        var own = (await c.QueryAsync<(string, int)>("SELECT resource, hard_limit FROM quotas WHERE project_id = @projectId", new { projectId }, tx))
            .ToDictionary(r => r.Item1, r => r.Item2);
        var used = withUsage ? await UsageAsync(c, projectId, types, tx) : [];
        return [.. Resources(types).Select(r => new QuotaUsage(r, own.TryGetValue(r, out var limit) ? limit : defaults.GetValueOrDefault(r, -1), used.GetValueOrDefault(r)))];
    }

    /// <summary>
    /// What <paramref name="projectId"/> uses, counted as cinder's quota sync does: volumes and
    /// snapshots that count against quotas (not a migration's target, not temporary), gigabytes
    /// of both (of volumes only with <c>no_snapshot_gb_quota</c>), each also per volume type;
    /// backups with their gigabytes; groups.
    /// </summary>
    public async Task<Dictionary<string, long>> UsageAsync(DbConnection c, string projectId, IReadOnlyList<(string Id, string Name)> types, DbTransaction? tx = null)
    {
        using var results = await c.QueryMultipleAsync("""
            SELECT volume_type_id, COUNT(*), CAST(COALESCE(SUM(size), 0) AS SIGNED) FROM volumes
             WHERE project_id = @projectId AND deleted = 0 AND use_quota = 1
               AND (migration_status IS NULL OR migration_status NOT LIKE 'target:%')
             GROUP BY volume_type_id;
            SELECT v.volume_type_id, COUNT(*), CAST(COALESCE(SUM(s.volume_size), 0) AS SIGNED) FROM snapshots s JOIN volumes v ON v.id = s.volume_id
             WHERE s.project_id = @projectId AND s.deleted = 0 AND s.use_quota = 1
             GROUP BY v.volume_type_id;
            SELECT COUNT(*), CAST(COALESCE(SUM(size), 0) AS SIGNED) FROM backups WHERE project_id = @projectId AND deleted = 0;
            SELECT COUNT(*) FROM `groups` WHERE project_id = @projectId AND deleted = 0;
            """, new { projectId }, tx);
        var volumes = (await results.ReadAsync<(string TypeId, long Count, long Gigabytes)>()).ToList();
        var snapshots = (await results.ReadAsync<(string TypeId, long Count, long Gigabytes)>()).ToList();
        var (backups, backupGigabytes) = await results.ReadSingleAsync<(long, long)>();
        var groups = await results.ReadSingleAsync<long>();

        long Gigabytes(string? typeId) =>
            volumes.Where(v => typeId is null || v.TypeId == typeId).Sum(v => v.Gigabytes)
            + (SnapshotsCountInGigabytes ? snapshots.Where(s => typeId is null || s.TypeId == typeId).Sum(s => s.Gigabytes) : 0);

        var usage = new Dictionary<string, long>
        {
            ["volumes"] = volumes.Sum(v => v.Count),
            ["snapshots"] = snapshots.Sum(s => s.Count),
            ["gigabytes"] = Gigabytes(null),
            ["backups"] = backups,
            ["backup_gigabytes"] = backupGigabytes,
            [Groups.Resource] = groups,
        };
        foreach (var (id, name) in types)
        {
            usage[$"volumes_{name}"] = volumes.Where(v => v.TypeId == id).Sum(v => v.Count);
            usage[$"snapshots_{name}"] = snapshots.Where(s => s.TypeId == id).Sum(s => s.Count);
            usage[$"gigabytes_{name}"] = Gigabytes(id);
        }
        return usage;
    }

    /// <summary>The project's lock row: a hash that is the same in every process (unlike string.GetHashCode).</summary>
    public static int Bucket(string projectId)
    {
        var hash = 2166136261u;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(projectId)) hash = (hash ^ b) * 16777619u;
        return (int)(hash % LockBuckets);
    }

    /// <summary>
    /// Locks the project's quota row for the rest of the transaction. It must be the transaction's
    /// first read, so the counts that follow see everything committed before the lock was had.
    /// </summary>
    public static Task LockAsync(DbTransaction tx, string projectId, CancellationToken cancellationToken = default) =>
        tx.Connection!.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT bucket FROM quota_locks WHERE bucket = @bucket FOR UPDATE", new { bucket = Bucket(projectId) }, tx, cancellationToken: cancellationToken));
}
