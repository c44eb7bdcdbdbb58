using System.Data.Common;
using ComputeApi.Common;
using Dapper;

namespace ComputeApi.Quotas;

/// <summary>
/// nova's quota checks (instances, cores, ram, key_pairs, server_groups, server_group_members,
/// metadata_items): counted from this service's own tables inside the caller's transaction.
/// Defaults come from <c>[quota] &lt;resource&gt;</c> (-1 is unlimited); a project's own limits
/// from the quotas table. A check first locks the project's quota_locks row, so two creates of
/// one project are counted one after the other and cannot pass a limit together.
/// </summary>
public sealed class QuotaEngine
{
    /// <summary>nova's resources with their default limits.</summary>
    public static readonly IReadOnlyDictionary<string, int> BuiltInDefaults = new Dictionary<string, int>
    {
        ["instances"] = 10,
        ["cores"] = 20,
        ["ram"] = 51200,
        ["key_pairs"] = 100,
        ["server_groups"] = 10,
        ["server_group_members"] = 10,
        ["metadata_items"] = 128,
        ["injected_files"] = 5,
        ["injected_file_content_bytes"] = 10240,
        ["injected_file_path_bytes"] = 255,
    };

    private readonly Dictionary<string, int> defaults;

    public QuotaEngine(IConfiguration configuration) =>
        defaults = BuiltInDefaults.ToDictionary(r => r.Key, r => int.TryParse(configuration[$"quota:{r.Key}"], out var v) ? v : r.Value);

    public IReadOnlyDictionary<string, int> Defaults => defaults;

    public async Task<Dictionary<string, int>> LimitsAsync(DbConnection c, string projectId, DbTransaction? tx = null)
    {
        var limits = new Dictionary<string, int>(defaults);
        foreach (var (resource, limit) in await c.QueryAsync<(string, int)>("SELECT resource, hard_limit FROM quotas WHERE project_id = @projectId", new { projectId }, tx))
            limits[resource] = limit;
        return limits;
    }

    /// <summary>What <paramref name="projectId"/> uses of the counted resources (instances, cores, ram, server_groups).</summary>
    public static async Task<Dictionary<string, int>> UsageAsync(DbConnection c, string projectId, DbTransaction? tx = null)
    {
        var (instances, cores, ram) = await c.QuerySingleAsync<(int, int, int)>("""
            SELECT COUNT(*), COALESCE(SUM(vcpus), 0), COALESCE(SUM(memory_mb), 0) FROM instances WHERE project_id = @projectId AND deleted = 0
            """, new { projectId }, tx);
        var groups = await c.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM instance_groups WHERE project_id = @projectId", new { projectId }, tx);
        return new Dictionary<string, int> { ["instances"] = instances, ["cores"] = cores, ["ram"] = ram, ["server_groups"] = groups };
    }

    /// <summary>
    /// Refuses with nova's 403 (<see cref="Common.NovaErrors.QuotaExceeded"/>) when adding
    /// <paramref name="deltas"/> (resource -> amount) would pass a limit of <paramref name="projectId"/>.
    /// instances, cores, ram and server_groups are counted here; for server_group_members and
    /// metadata_items the delta is the whole count asked for (the caller knows the group or server).
    /// </summary>
    public async Task CheckAsync(DbTransaction transaction, string projectId, IReadOnlyDictionary<string, int> deltas, CancellationToken cancellationToken = default)
    {
        var c = transaction.Connection!;
        await LockAsync(transaction, projectId, cancellationToken);
        var limits = await LimitsAsync(c, projectId, transaction);
        Dictionary<string, int>? usage = null;
        foreach (var resource in new[] { "instances", "cores", "ram", "server_groups", "server_group_members", "metadata_items", "key_pairs" })
        {
            if (!deltas.TryGetValue(resource, out var delta) || delta <= 0) continue;
            var limit = limits.GetValueOrDefault(resource, -1);
            if (limit < 0) continue;
            var used = 0;
            if (resource is "instances" or "cores" or "ram" or "server_groups")
            {
                usage ??= await UsageAsync(c, projectId, transaction);
                used = usage[resource];
            }
            if (used + delta > limit) throw Exceeded(resource, delta, used, limit);
        }
    }

    /// <summary>
    /// How many of <paramref name="wanted"/> servers of the given size fit the project's
    /// instances, cores and ram quotas now (locking the project first), for min_count/max_count.
    /// </summary>
    public async Task<int> InstancesThatFitAsync(DbTransaction transaction, string projectId, int vcpus, int memoryMb, int wanted, CancellationToken cancellationToken = default)
    {
        var c = transaction.Connection!;
        await LockAsync(transaction, projectId, cancellationToken);
        var limits = await LimitsAsync(c, projectId, transaction);
        var used = await UsageAsync(c, projectId, transaction);
        var fit = wanted;
        foreach (var (resource, each) in new[] { ("instances", 1), ("cores", vcpus), ("ram", memoryMb) })
        {
            var limit = limits.GetValueOrDefault(resource, -1);
            if (limit < 0 || each <= 0) continue;
            fit = Math.Min(fit, Math.Max(0, (limit - used[resource]) / each));
        }
        return fit;
    }

    /// <summary>The key_pairs quota of a user (keypairs belong to users, not projects).</summary>
    public async Task CheckKeyPairsAsync(DbTransaction transaction, string projectId, string userId, int adding, CancellationToken cancellationToken = default)
    {
        var c = transaction.Connection!;
        var limit = (await LimitsAsync(c, projectId, transaction)).GetValueOrDefault("key_pairs", -1);
        if (limit < 0) return;
        var used = await c.ExecuteScalarAsync<int>(new CommandDefinition("SELECT COUNT(*) FROM key_pairs WHERE user_id = @userId", new { userId }, transaction, cancellationToken: cancellationToken));
        if (used + adding > limit) throw NovaErrors.QuotaExceeded("Quota exceeded, too many key pairs.");
    }

    /// <summary>The server_group_members quota of one group: its members now plus <paramref name="adding"/>.</summary>
    public async Task CheckGroupMembersAsync(DbTransaction transaction, string projectId, string groupUuid, int adding, CancellationToken cancellationToken = default)
    {
        var c = transaction.Connection!;
        var limit = (await LimitsAsync(c, projectId, transaction)).GetValueOrDefault("server_group_members", -1);
        if (limit < 0) return;
        var used = await c.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT COUNT(*) FROM instance_group_members WHERE group_uuid = @groupUuid", new { groupUuid }, transaction, cancellationToken: cancellationToken));
        if (used + adding > limit) throw NovaErrors.QuotaExceeded("Quota exceeded, too many servers in group");
    }

    /// <summary>The metadata_items quota of one server's metadata.</summary>
    public async Task CheckMetadataAsync(DbConnection c, string projectId, int items)
    {
        var limit = (await LimitsAsync(c, projectId)).GetValueOrDefault("metadata_items", -1);
        if (limit >= 0 && items > limit) throw NovaErrors.QuotaExceeded($"Maximum number of metadata items exceeds {limit}");
    }

    public const int LockBuckets = 256;

    /// <summary>The project's lock row: a hash that is the same in every API process (unlike string.GetHashCode).</summary>
    public static int Bucket(string projectId)
    {
        var hash = 2166136261u;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(projectId)) hash = (hash ^ b) * 16777619u;
        return (int)(hash % LockBuckets);
    }

    /// <summary>
    /// Locks the project's quota row for the rest of the transaction. It must be the transaction's
    /// first read, so the counts that follow see every create committed before the lock was had.
    /// </summary>
    public static Task LockAsync(DbTransaction tx, string projectId, CancellationToken cancellationToken = default) =>
        tx.Connection!.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT bucket FROM quota_locks WHERE bucket = @bucket FOR UPDATE", new { bucket = Bucket(projectId) }, tx, cancellationToken: cancellationToken));

    public static Platform.Hosting.ApiException Exceeded(string resource, int requested, int used, int limit) =>
        NovaErrors.QuotaExceeded($"Quota exceeded for {resource}: Requested {requested}, but already used {used} of {limit} {resource}");
}
