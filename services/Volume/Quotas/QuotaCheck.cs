using System.Data.Common;
using System.Net;
using Platform.Hosting;

namespace Volume.Quotas;

/// <summary>What a change adds to a project's usage, for one volume type.</summary>
public sealed record QuotaDelta(string TypeName, int Volumes = 0, int Snapshots = 0, long Gigabytes = 0, int? VolumeSize = null);

/// <summary>
/// Checks a change against the project's limits before it is written, in the transaction that
/// writes it: the project's lock row is taken first, so two creates of one project are counted
/// one after the other and cannot both pass the last unit. Refusals are cinder's 413s.
/// </summary>
public sealed class QuotaCheck(QuotaEngine quotas)
{
    public async Task EnforceAsync(DbTransaction tx, string projectId, QuotaDelta delta, CancellationToken cancellationToken = default)
    {
        await QuotaEngine.LockAsync(tx, projectId, cancellationToken);
        var lines = (await quotas.ProjectAsync(tx.Connection!, projectId, withUsage: true, tx)).ToDictionary(q => q.Resource);

        if (delta.VolumeSize is { } size && lines["per_volume_gigabytes"].Limit is var perVolume and >= 0 && size > perVolume)
            throw OverLimit($"Requested volume size {size}G is larger than maximum allowed limit {perVolume}G.");

        if (delta.Gigabytes > 0)
            foreach (var name in new[] { "gigabytes", $"gigabytes_{delta.TypeName}" })
                if (lines.TryGetValue(name, out var q) && q.Limit >= 0 && q.InUse + delta.Gigabytes > q.Limit)
                    throw OverLimit($"Requested volume or snapshot exceeds allowed {name} quota. Requested {delta.Gigabytes}G, quota is {q.Limit}G and {q.InUse}G has been consumed.");

        if (delta.Volumes > 0)
            foreach (var name in new[] { "volumes", $"volumes_{delta.TypeName}" })
                if (lines.TryGetValue(name, out var q) && q.Limit >= 0 && q.InUse + delta.Volumes > q.Limit)
                    throw OverLimit($"Maximum number of volumes allowed ({q.Limit}) exceeded for quota '{name}'.");

        if (delta.Snapshots > 0)
            foreach (var name in new[] { "snapshots", $"snapshots_{delta.TypeName}" })
                if (lines.TryGetValue(name, out var q) && q.Limit >= 0 && q.InUse + delta.Snapshots > q.Limit)
                    throw OverLimit($"Maximum number of snapshots allowed ({q.Limit}) exceeded for quota '{name}'.");
    }

    private static ApiException OverLimit(string message) => new(HttpStatusCode.RequestEntityTooLarge, message);
}
