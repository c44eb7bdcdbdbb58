using System.Data.Common;
using System.Globalization;
using Dapper;

namespace ComputeApi.Aggregates;

/// <summary>A host aggregate row with its hosts and metadata (the zone is kept in its own column).</summary>
public sealed record Aggregate(int Id, string Uuid, string Name, string? AvailabilityZone, DateTime CreatedAt, DateTime? UpdatedAt, bool Deleted, DateTime? DeletedAt)
{
    public const string Columns = "id, uuid, name, availability_zone, created_at, updated_at, deleted, deleted_at";

    public IReadOnlyList<string> Hosts { get; init; } = [];
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>The metadata as shown and pushed: the stored keys plus availability_zone when the aggregate has one.</summary>
    public Dictionary<string, string> AllMetadata()
    {
        var all = new Dictionary<string, string>(Metadata);
        if (!string.IsNullOrEmpty(AvailabilityZone)) all["availability_zone"] = AvailabilityZone;
        return all;
    }

    public static async Task<Aggregate?> LoadAsync(DbConnection c, DbTransaction? tx, int id, bool forUpdate = false, bool includeDeleted = false)
    {
        var row = await c.QuerySingleOrDefaultAsync<Aggregate>(
            $"SELECT {Columns} FROM aggregates WHERE id = @id{(includeDeleted ? "" : " AND NOT deleted")}{(forUpdate ? " FOR UPDATE" : "")}", new { id }, tx);
        if (row is null) return null;
        var details = await LoadDetailsAsync(c, tx, [row.Id]);
        return details(row);
    }

    public static async Task<List<Aggregate>> LoadAllAsync(DbConnection c, DbTransaction? tx = null)
    {
        var rows = (await c.QueryAsync<Aggregate>($"SELECT {Columns} FROM aggregates WHERE NOT deleted ORDER BY id", transaction: tx)).ToList();
        var details = await LoadDetailsAsync(c, tx, rows.Select(r => r.Id).ToList());
        return rows.Select(details).ToList();
    }

    private static async Task<Func<Aggregate, Aggregate>> LoadDetailsAsync(DbConnection c, DbTransaction? tx, IReadOnlyList<int> ids)
    {
        if (ids.Count == 0) return a => a;
        var hosts = (await c.QueryAsync<(int Id, string Host)>(
            "SELECT aggregate_id, host FROM aggregate_hosts WHERE aggregate_id IN @ids ORDER BY created_at, host", new { ids }, tx)).ToLookup(h => h.Id, h => h.Host);
        var metadata = (await c.QueryAsync<(int Id, string Key, string Value)>(
            "SELECT aggregate_id, `key`, value FROM aggregate_metadata WHERE aggregate_id IN @ids ORDER BY `key`", new { ids }, tx)).ToLookup(m => m.Id);
        return a => a with
        {
            Hosts = hosts[a.Id].ToList(),
            Metadata = metadata[a.Id].ToDictionary(m => m.Key, m => m.Value),
        };
    }

    /// <summary>nova's body: timestamps without a zone, uuid from 2.41.</summary>
    public Dictionary<string, object?> View(bool withUuid, bool withHostsAndMetadata = true)
    {
        var view = new Dictionary<string, object?>
        {
            ["availability_zone"] = string.IsNullOrEmpty(AvailabilityZone) ? null : AvailabilityZone,
            ["created_at"] = Time(CreatedAt),
            ["deleted"] = Deleted,
            ["deleted_at"] = Time(DeletedAt),
            ["id"] = Id,
            ["name"] = Name,
            ["updated_at"] = Time(UpdatedAt),
        };
        if (withHostsAndMetadata)
        {
            view["hosts"] = Hosts;
            view["metadata"] = AllMetadata();
        }
        if (withUuid) view["uuid"] = Uuid;
        return view;
    }

    private static string? Time(DateTime? t) => t?.ToString("yyyy-MM-ddTHH:mm:ss.ffffff", CultureInfo.InvariantCulture);
}
