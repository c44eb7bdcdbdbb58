using System.Data;
using System.Globalization;
using Dapper;
using MassTransit;
using Platform.Data;
using Volume.Common;
using Volume.Contracts;

namespace Volume.Scheduling;

/// <summary>
/// cinder's filter scheduler: the backends that are up and enabled, filtered by zone
/// (AvailabilityZoneFilter), room (CapacityFilter, with thin provisioning's oversubscription
/// and the reserved share) and the volume type's extra specs (CapabilitiesFilter), weighed by
/// free capacity (CapacityWeigher). The chosen host is written to the volume and the backend
/// told in one transaction. A volume made from a snapshot or a volume stays on its source's
/// backend. With no backend left the volume goes to <c>error</c>.
/// </summary>
public sealed class VolumeScheduler(IDbConnectionFactory db, VolumeSettings settings, VolumeBackendClient backends, TimeProvider time, ILogger<VolumeScheduler> logger)
{
    public async Task ScheduleCreateAsync(ScheduleCreateVolume m, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        var candidates = await BackendsAsync(c, cancellationToken);
        var (chosen, reason) = Choose(m, candidates);
        var now = time.GetUtcNow().UtcDateTime;

        await using var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
        if (chosen is null)
        {
            var failed = await c.ExecuteAsync("UPDATE volumes SET status = 'error', updated_at = @now WHERE id = @VolumeId AND status = 'creating' AND host IS NULL",
                new { m.VolumeId, now }, tx);
            await tx.CommitAsync(cancellationToken);
            if (failed > 0) logger.LogWarning("no valid backend for volume {Volume} ({Size} GiB): {Reason}", m.VolumeId, m.Size, reason);
            return;
        }
        var placed = await c.ExecuteAsync("""
            UPDATE volumes SET host = @host, scheduled_at = @now, updated_at = @now
             WHERE id = @VolumeId AND status = 'creating' AND host IS NULL
            """, new { host = chosen.VolumeHost, m.VolumeId, now }, tx);
        if (placed == 0) return; // placed already (a second delivery) or deleted meanwhile
        await backends.CastCreateVolumeAsync(tx, chosen.VolumeHost, new CreateVolume
        {
            VolumeId = m.VolumeId, SnapshotId = m.SnapshotId, SourceVolumeId = m.SourceVolumeId, ImageId = m.ImageId,
        }, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        backends.Flush();
        logger.LogInformation("volume {Volume} ({Size} GiB) placed on {Host}", m.VolumeId, m.Size, chosen.VolumeHost);
    }

    /// <summary>The backends that are up and enabled, with what is allocated on each now.</summary>
    public async Task<IReadOnlyList<BackendState>> BackendsAsync(System.Data.Common.DbConnection c, CancellationToken cancellationToken)
    {
        var since = time.GetUtcNow().UtcDateTime - settings.ServiceDownTime;
        using var results = await c.QueryMultipleAsync(new CommandDefinition("""
            SELECT host, availability_zone, capabilities FROM services
             WHERE `binary` = 'cinder-volume' AND disabled = 0 AND frozen = 0 AND updated_at >= @since AND capabilities IS NOT NULL;
            SELECT SUBSTRING_INDEX(host, '#', 1), CAST(SUM(size) AS SIGNED) FROM volumes WHERE deleted = 0 AND host IS NOT NULL GROUP BY SUBSTRING_INDEX(host, '#', 1);
            """, new { since }, cancellationToken: cancellationToken));
        var services = (await results.ReadAsync<(string Host, string Zone, string Capabilities)>()).ToList();
        var allocated = (await results.ReadAsync<(string Host, long Gb)>()).ToDictionary(a => a.Host, a => a.Gb);
        return [.. services.Select(s => new BackendState(s.Host, s.Zone, PoolStats.FromJson(s.Capabilities)!, allocated.GetValueOrDefault(s.Host)))];
    }

    /// <summary>The best backend for the request, or null and why there is none.</summary>
    public static (BackendState? Chosen, string Reason) Choose(ScheduleCreateVolume m, IReadOnlyList<BackendState> backends)
    {
        IEnumerable<BackendState> left = backends;
        if (m.SourceHost is { } source)
        {
            var sourceBackend = Topics.BackendOf(source);
            left = left.Where(b => b.Host == sourceBackend);
        }
        left = left.Where(b => m.AvailabilityZone is null || b.AvailabilityZone == m.AvailabilityZone).ToList();
        if (!left.Any()) return (null, m.SourceHost is not null ? $"the source's backend {Topics.BackendOf(m.SourceHost)} is down or disabled" : $"no backend up in zone {m.AvailabilityZone}");
        left = left.Where(b => HasRoom(b, m.Size)).ToList();
        if (!left.Any()) return (null, $"no backend has room for {m.Size} GiB");
        left = left.Where(b => MatchesExtraSpecs(b.Pool.Capabilities(), m.ExtraSpecs)).ToList();
        if (!left.Any()) return (null, "no backend has the capabilities the volume type asks for");
        return (left.OrderByDescending(b => b.VirtualFreeGb).ThenBy(b => b.Host, StringComparer.Ordinal).First(), "");
    }

    /// <summary>cinder's CapacityFilter: room in free space (thick) or within the oversubscription ratio (thin).</summary>
    public static bool HasRoom(BackendState b, int size)
    {
        if (b.Pool.TotalCapacityGb <= 0) return false;
        if (b.Pool.ThinProvisioningSupport && b.Pool.MaxOverSubscriptionRatio >= 1)
        {
            var provisionedRatio = (b.AllocatedGb + size) / b.Pool.TotalCapacityGb;
            return provisionedRatio <= b.Pool.MaxOverSubscriptionRatio && b.VirtualFreeGb >= size && b.UsableFreeGb > 0;
        }
        return b.UsableFreeGb >= size;
    }

    /// <summary>
    /// cinder's CapabilitiesFilter: every extra spec that is not scoped (or is scoped
    /// <c>capabilities:</c>) must match the capability of that name; other scopes (qos, hw, ...)
    /// are for others. Values may use cinder's operators: <c>&lt;is&gt;</c>, <c>&lt;in&gt;</c>,
    /// <c>&lt;or&gt;</c>, <c>s==</c>, <c>==</c>, <c>!=</c>, <c>&gt;=</c>, <c>&lt;=</c>.
    /// </summary>
    public static bool MatchesExtraSpecs(IReadOnlyDictionary<string, string> capabilities, IReadOnlyDictionary<string, string> extraSpecs)
    {
        foreach (var (rawKey, expected) in extraSpecs)
        {
            var key = rawKey;
            var colon = key.IndexOf(':');
            if (colon >= 0)
            {
                if (key[..colon] != "capabilities") continue;
                key = key[(colon + 1)..];
            }
            if (key is "multiattach" or "RESKEY" || key.StartsWith("provisioning", StringComparison.Ordinal)) continue;
            if (!capabilities.TryGetValue(key, out var actual) || !Matches(actual, expected)) return false;
        }
        return true;
    }

    private static bool Matches(string actual, string expected)
    {
        var words = expected.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length < 2) return string.Equals(actual, expected, StringComparison.Ordinal);
        var op = words[0];
        var rest = string.Join(' ', words[1..]);
        static bool Number(string s, out double d) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out d);
        return op switch
        {
            "<is>" => string.Equals(actual, rest, StringComparison.OrdinalIgnoreCase),
            "<in>" => actual.Contains(rest, StringComparison.Ordinal),
            "<or>" => words.Where((w, i) => i % 2 == 1).Contains(actual),
            "s==" => actual == rest,
            "s!=" => actual != rest,
            "==" => Number(actual, out var a1) && Number(rest, out var b1) && a1 == b1,
            "!=" => !(Number(actual, out var a2) && Number(rest, out var b2) && a2 == b2),
            ">=" => Number(actual, out var a3) && Number(rest, out var b3) && a3 >= b3,
            "<=" => Number(actual, out var a4) && Number(rest, out var b4) && a4 <= b4,
            _ => string.Equals(actual, expected, StringComparison.Ordinal),
        };
    }
}

public sealed class ScheduleCreateVolumeConsumer(VolumeScheduler scheduler) : IConsumer<ScheduleCreateVolume>
{
    public Task Consume(ConsumeContext<ScheduleCreateVolume> context) => scheduler.ScheduleCreateAsync(context.Message, context.CancellationToken);
}
