using System.Collections.Concurrent;
using System.Data.Common;
using ComputeApi.Common;
using Dapper;
using Platform.Data;
using Scheduler.Contracts;

namespace ComputeApi.Flavors;

/// <summary>A flavor as the flavors table keeps it.</summary>
public sealed class FlavorRow
{
    public const string Columns = "internal_id, flavorid, name, vcpus, memory_mb, root_gb, ephemeral_gb, swap, rxtx_factor, is_public, disabled, description, created_at";

    public int InternalId { get; set; }
    public string Flavorid { get; set; } = "";
    public string Name { get; set; } = "";
    public int Vcpus { get; set; }
    public int MemoryMb { get; set; }
    public int RootGb { get; set; }
    public int EphemeralGb { get; set; }
    public int Swap { get; set; }
    public float RxtxFactor { get; set; } = 1;
    public bool IsPublic { get; set; } = true;
    public bool Disabled { get; set; }
    public string? Description { get; set; }
    public DateTime CreatedAt { get; set; }
    public Dictionary<string, string> ExtraSpecs { get; set; } = [];

    public FlavorSpec ToSpec() => new()
    {
        Id = Flavorid, Name = Name, Vcpus = Vcpus, MemoryMb = MemoryMb, RootGb = RootGb, EphemeralGb = EphemeralGb, SwapMb = Swap,
        RxtxFactor = RxtxFactor, IsPublic = IsPublic, Description = Description, ExtraSpecs = new Dictionary<string, string>(ExtraSpecs),
    };
}

/// <summary>
/// Reads flavors (with their extra specs and access) the way nova scopes them: a non-admin sees
/// public flavors and the private ones its project was given. Flavors a create looks up are kept
/// for a few seconds, as they change rarely and a create should cost few queries; a kept flavor
/// that would refuse the caller is read again first.
/// </summary>
public sealed class FlavorStore(TimeProvider time)
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);
    private readonly ConcurrentDictionary<string, (FlavorRow Flavor, HashSet<string> Projects, DateTimeOffset At)> cache = new();

    public void Forget(string flavorId) => cache.TryRemove(flavorId, out _);

    public static async Task<FlavorRow?> GetAsync(DbConnection c, string flavorId, DbTransaction? tx = null)
    {
        var flavor = await c.QuerySingleOrDefaultAsync<FlavorRow>($"SELECT {FlavorRow.Columns} FROM flavors WHERE flavorid = @flavorId", new { flavorId }, tx);
        if (flavor is null) return null;
        flavor.ExtraSpecs = (await c.QueryAsync<(string, string)>("SELECT spec_key, spec_value FROM flavor_extra_specs WHERE flavor_internal_id = @InternalId ORDER BY spec_key", flavor, tx))
            .ToDictionary(s => s.Item1, s => s.Item2);
        return flavor;
    }

    public static async Task<HashSet<string>> ProjectsAsync(DbConnection c, int internalId, DbTransaction? tx = null) =>
        [.. await c.QueryAsync<string>("SELECT project_id FROM flavor_projects WHERE flavor_internal_id = @internalId ORDER BY project_id", new { internalId }, tx)];

    /// <summary>The flavor if the caller may see it (admins see every flavor); 404 otherwise.</summary>
    public static async Task<FlavorRow> FindVisibleAsync(DbConnection c, NovaAuthz authz, string flavorId, DbTransaction? tx = null)
    {
        var flavor = await GetAsync(c, flavorId, tx) ?? throw NovaErrors.FlavorNotFound(flavorId);
        if (!flavor.IsPublic && !authz.IsAdmin && !(await ProjectsAsync(c, flavor.InternalId, tx)).Contains(NovaAuthz.Caller.ProjectId ?? ""))
            throw NovaErrors.FlavorNotFound(flavorId);
        return flavor;
    }

    /// <summary>For a server create: the flavor if visible to the caller, from a short-lived cache; null when not.</summary>
    public async Task<FlavorRow?> FindForBuildAsync(DbConnection c, string flavorId, string? projectId, bool isAdmin)
    {
        var now = time.GetUtcNow();
        if (cache.TryGetValue(flavorId, out var entry) && now - entry.At <= CacheFor && Visible(entry))
            return entry.Flavor;
        // Not cached, too old, or refusing: read again, so access just given (by another replica
        // too) is never refused for an old entry.
        var flavor = await GetAsync(c, flavorId);
        if (flavor is null) return null;
        entry = (flavor, flavor.IsPublic ? [] : await ProjectsAsync(c, flavor.InternalId), now);
        cache[flavorId] = entry;
        return Visible(entry) ? entry.Flavor : null;

        bool Visible((FlavorRow Flavor, HashSet<string> Projects, DateTimeOffset At) e) =>
            e.Flavor.IsPublic || isAdmin || e.Projects.Contains(projectId ?? "");
    }
}
