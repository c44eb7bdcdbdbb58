using System.Data;
using System.Text.Json;
using Dapper;
using MySqlConnector;
using Platform.Data;

namespace Scheduler.Placement;

/// <summary>An allocation request: per provider uuid, the amount of each resource class.</summary>
public sealed record AllocationRequest(string ProviderUuid, IReadOnlyDictionary<string, long> Resources);

/// <summary>A compute node's report, validated.</summary>
public sealed record NodeReport(
    string ProviderUuid, string Host, string HypervisorHostname, string HypervisorType, long HypervisorVersion, string HostIp, string CpuInfo,
    IReadOnlyList<InventoryRecord> Inventories, IReadOnlyList<string> Traits, IReadOnlyList<SupportedInstanceRecord> SupportedInstances,
    int FailedBuilds);

/// <summary>
/// Placement's data, in SQL: provider reports, claims (atomic against capacity, with a
/// generation compare-and-set on every provider touched), and the reads the scheduler's view
/// and ListComputeNodes make.
/// </summary>
public sealed class PlacementStore(IDbConnectionFactory db, TimeProvider time)
{
    private const int ClaimAttempts = 5;
    private const int WriteAttempts = 10;

    // To the microsecond, as DATETIME(6) keeps it, so a time written can be compared with one read back.
    private DateTime Now
    {
        get
        {
            var t = time.GetUtcNow().UtcDateTime;
            return new DateTime(t.Ticks - t.Ticks % 10, DateTimeKind.Utc);
        }
    }

    public async Task<long> ReportComputeNodeAsync(NodeReport r, CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await ReportOnceAsync(r, cancellationToken);
            }
            catch (MySqlException e) when (IsRetryable(e) && attempt < WriteAttempts)
            {
                await Task.Delay(Random.Shared.Next(1, 10 * attempt), cancellationToken);
            }
        }
    }

    private async Task<long> ReportOnceAsync(NodeReport r, CancellationToken cancellationToken)
    {
        var now = Now;
        await using var c = await db.OpenAsync(cancellationToken);
        // Read committed: no gap locks, so concurrent first reports of new nodes do not deadlock.
        await using var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
        await c.ExecuteAsync("""
            INSERT INTO resource_providers (uuid, name, generation, created_at, updated_at) VALUES (@ProviderUuid, @HypervisorHostname, 0, @now, @now)
            ON DUPLICATE KEY UPDATE name = VALUES(name)
            """, new { r.ProviderUuid, r.HypervisorHostname, now }, tx);
        var (id, generation) = await c.QuerySingleAsync<(long, long)>(
            "SELECT id, generation FROM resource_providers WHERE uuid = @ProviderUuid FOR UPDATE", new { r.ProviderUuid }, tx);

        var changed = false;
        var existing = (await c.QueryAsync<InventoryRecord>(
            "SELECT resource_class, total, reserved, min_unit, max_unit, step_size, allocation_ratio FROM inventories WHERE resource_provider_id = @id",
            new { id }, tx)).OrderBy(i => i.ResourceClass, StringComparer.Ordinal).ToList();
        var wanted = r.Inventories.OrderBy(i => i.ResourceClass, StringComparer.Ordinal).ToList();
        if (!existing.SequenceEqual(wanted))
        {
            await c.ExecuteAsync("DELETE FROM inventories WHERE resource_provider_id = @id", new { id }, tx);
            if (wanted.Count > 0)
                await c.ExecuteAsync("""
                    INSERT INTO inventories (resource_provider_id, resource_class, total, reserved, min_unit, max_unit, step_size, allocation_ratio)
                    VALUES (@id, @ResourceClass, @Total, @Reserved, @MinUnit, @MaxUnit, @StepSize, @AllocationRatio)
                    """, wanted.Select(i => new { id, i.ResourceClass, i.Total, i.Reserved, i.MinUnit, i.MaxUnit, i.StepSize, i.AllocationRatio }), tx);
            changed = true;
        }

        var traits = r.Traits.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var haveTraits = (await c.QueryAsync<string>(
            "SELECT t.name FROM resource_provider_traits rt JOIN traits t ON t.id = rt.trait_id WHERE rt.resource_provider_id = @id ORDER BY t.name",
            new { id }, tx)).Order(StringComparer.Ordinal).ToList();
        if (!haveTraits.SequenceEqual(traits))
        {
            await c.ExecuteAsync("DELETE FROM resource_provider_traits WHERE resource_provider_id = @id", new { id }, tx);
            if (traits.Count > 0)
            {
                await c.ExecuteAsync("INSERT IGNORE INTO traits (name) VALUES (@name)", traits.Select(name => new { name }), tx);
                await c.ExecuteAsync(
                    "INSERT INTO resource_provider_traits (resource_provider_id, trait_id) SELECT @id, id FROM traits WHERE name IN @traits",
                    new { id, traits }, tx);
            }
            changed = true;
        }
        // The generation moves (with updated_at) at the end, with whatever else changed.
        if (changed) generation++;

        // A report that only says the node is still there (most of them) leaves updated_at alone, so
        // the schedulers' views reload nothing for it; they read last_report_at on their own.
        var supported = JsonSerializer.Serialize(r.SupportedInstances.Select(s => new[] { s.Architecture, s.HypervisorType, s.VmMode }));
        var held = await c.QuerySingleOrDefaultAsync<HostStateFields>("""
            SELECT host AS Host, hypervisor_hostname AS HypervisorHostname, hypervisor_type AS HypervisorType, hypervisor_version AS HypervisorVersion,
              host_ip AS HostIp, cpu_info AS CpuInfo, supported_instances AS SupportedInstances, failed_builds AS FailedBuilds
            FROM compute_host_states WHERE resource_provider_id = @id
            """, new { id }, tx);
        var viewChanged = changed || held != new HostStateFields(r.Host, r.HypervisorHostname, r.HypervisorType, r.HypervisorVersion, r.HostIp, r.CpuInfo, supported, r.FailedBuilds);

        await c.ExecuteAsync("""
            INSERT INTO compute_host_states (resource_provider_id, host, hypervisor_hostname, hypervisor_type, hypervisor_version, host_ip, cpu_info,
                supported_instances, failed_builds, running_vms, disabled, disabled_reason, forced_down, last_report_at)
            SELECT @id, @Host, @HypervisorHostname, @HypervisorType, @HypervisorVersion, @HostIp, @CpuInfo, @supported, @FailedBuilds, 0,
                COALESCE(s.disabled, FALSE), s.disabled_reason, COALESCE(s.forced_down, FALSE), @now
            FROM (SELECT 1) one LEFT JOIN compute_service_status s ON s.host = @Host
            ON DUPLICATE KEY UPDATE host = VALUES(host), hypervisor_hostname = VALUES(hypervisor_hostname), hypervisor_type = VALUES(hypervisor_type),
                hypervisor_version = VALUES(hypervisor_version), host_ip = VALUES(host_ip), cpu_info = VALUES(cpu_info),
                supported_instances = VALUES(supported_instances), failed_builds = VALUES(failed_builds), last_report_at = VALUES(last_report_at)
            """, new
        {
            id, r.Host, r.HypervisorHostname, r.HypervisorType, r.HypervisorVersion, r.HostIp, r.CpuInfo,
            supported,
            r.FailedBuilds, now,
        }, tx);
        // The provider follows its host into the host's aggregates.
        viewChanged |= await c.ExecuteAsync("""
            DELETE FROM resource_provider_aggregates WHERE resource_provider_id = @id
              AND aggregate_id NOT IN (SELECT aggregate_id FROM aggregate_hosts WHERE host = @Host)
            """, new { id, r.Host }, tx) > 0;
        viewChanged |= await c.ExecuteAsync(
            "INSERT IGNORE INTO resource_provider_aggregates (resource_provider_id, aggregate_id) SELECT @id, aggregate_id FROM aggregate_hosts WHERE host = @Host",
            new { id, r.Host }, tx) > 0;
        if (viewChanged)
            await c.ExecuteAsync("UPDATE resource_providers SET generation = generation + @bump, updated_at = @now WHERE id = @id",
                new { id, now, bump = changed ? 1 : 0 }, tx);
        await tx.CommitAsync(cancellationToken);
        return generation;
    }

    public async Task SetServiceStatusAsync(string host, bool disabled, string? reason, bool forcedDown, CancellationToken cancellationToken = default)
    {
        var now = Now;
        await using var c = await db.OpenAsync(cancellationToken);
        await using var tx = await c.BeginTransactionAsync(cancellationToken);
        var args = new { host, disabled, reason, forcedDown, now };
        await c.ExecuteAsync("""
            INSERT INTO compute_service_status (host, disabled, disabled_reason, forced_down, updated_at) VALUES (@host, @disabled, @reason, @forcedDown, @now)
            ON DUPLICATE KEY UPDATE disabled = @disabled, disabled_reason = @reason, forced_down = @forcedDown, updated_at = @now
            """, args, tx);
        await c.ExecuteAsync(
            "UPDATE compute_host_states SET disabled = @disabled, disabled_reason = @reason, forced_down = @forcedDown WHERE host = @host", args, tx);
        await c.ExecuteAsync("""
            UPDATE resource_providers rp JOIN compute_host_states h ON h.resource_provider_id = rp.id SET rp.updated_at = @now WHERE h.host = @host
            """, args, tx);
        await tx.CommitAsync(cancellationToken);
    }

    public async Task PutAggregateAsync(string uuid, string name, string? zone, IReadOnlyList<string> hosts, IReadOnlyDictionary<string, string> metadata,
        CancellationToken cancellationToken = default)
    {
        var now = Now;
        await using var c = await db.OpenAsync(cancellationToken);
        await using var tx = await c.BeginTransactionAsync(cancellationToken);
        await c.ExecuteAsync("""
            INSERT INTO aggregates (uuid, name, availability_zone, metadata, updated_at) VALUES (@uuid, @name, @zone, @metadata, @now)
            ON DUPLICATE KEY UPDATE name = @name, availability_zone = @zone, metadata = @metadata, updated_at = @now
            """, new { uuid, name, zone = string.IsNullOrEmpty(zone) ? null : zone, metadata = JsonSerializer.Serialize(metadata), now }, tx);
        var id = await c.QuerySingleAsync<long>("SELECT id FROM aggregates WHERE uuid = @uuid FOR UPDATE", new { uuid }, tx);
        // Providers of the hosts before and after the change both see it.
        await TouchAggregateProvidersAsync(c, tx, id, now);
        await c.ExecuteAsync("DELETE FROM aggregate_hosts WHERE aggregate_id = @id", new { id }, tx);
        await c.ExecuteAsync("DELETE FROM resource_provider_aggregates WHERE aggregate_id = @id", new { id }, tx);
        var distinct = hosts.Where(h => !string.IsNullOrEmpty(h)).Distinct(StringComparer.Ordinal).ToList();
        if (distinct.Count > 0)
        {
            await c.ExecuteAsync("INSERT INTO aggregate_hosts (aggregate_id, host) VALUES (@id, @host)", distinct.Select(host => new { id, host }), tx);
            await c.ExecuteAsync("""
                INSERT IGNORE INTO resource_provider_aggregates (resource_provider_id, aggregate_id)
                SELECT resource_provider_id, @id FROM compute_host_states WHERE host IN @distinct
                """, new { id, distinct }, tx);
        }
        await TouchAggregateProvidersAsync(c, tx, id, now);
        await tx.CommitAsync(cancellationToken);
    }

    public async Task DeleteAggregateAsync(string uuid, CancellationToken cancellationToken = default)
    {
        var now = Now;
        await using var c = await db.OpenAsync(cancellationToken);
        await using var tx = await c.BeginTransactionAsync(cancellationToken);
        var id = await c.QuerySingleOrDefaultAsync<long?>("SELECT id FROM aggregates WHERE uuid = @uuid FOR UPDATE", new { uuid }, tx);
        if (id is { } found)
        {
            await TouchAggregateProvidersAsync(c, tx, found, now);
            await c.ExecuteAsync("DELETE FROM aggregates WHERE id = @found", new { found }, tx);
        }
        await tx.CommitAsync(cancellationToken);
    }

    private static Task TouchAggregateProvidersAsync(MySqlConnection c, MySqlTransaction tx, long id, DateTime now) =>
        c.ExecuteAsync("""
            UPDATE resource_providers rp JOIN compute_host_states h ON h.resource_provider_id = rp.id
            JOIN aggregate_hosts ah ON ah.host = h.host SET rp.updated_at = @now WHERE ah.aggregate_id = @id
            """, new { id, now }, tx);

    /// <summary>
    /// Replaces what <paramref name="consumer"/> holds with <paramref name="requests"/>, all or
    /// nothing: every provider must have room ((total - reserved) * ratio >= used + asked) and
    /// accept the unit, and every provider touched (new or previously held) must still be at the
    /// generation read, else the transaction rolls back and is tried again.
    /// </summary>
    public async Task<ClaimOutcome> ClaimAsync(string consumer, string projectId, string userId, IReadOnlyList<AllocationRequest> requests,
        CancellationToken cancellationToken = default)
    {
        ClaimOutcome outcome = ClaimOutcome.Refused("not tried");
        for (var attempt = 1; attempt <= ClaimAttempts; attempt++)
        {
            try
            {
                outcome = await ClaimOnceAsync(consumer, projectId, userId, requests, cancellationToken);
            }
            catch (MySqlException e) when (IsRetryable(e))
            {
                outcome = ClaimOutcome.Refused("concurrent update", conflict: true);
            }
            if (!outcome.Conflict) return outcome;
            await Task.Delay(Random.Shared.Next(0, 3 * attempt), cancellationToken);
        }
        return outcome;
    }

    /// <summary>
    /// The scheduler's claim: <paramref name="claim"/>'s resources on its provider for
    /// <paramref name="consumer"/> (replacing whatever it held), made only if the provider is
    /// still at the claim's generation. The scheduler checked the room against its view of
    /// the provider at that generation, and every change of a provider's inventories or
    /// allocations moves its generation: an unmoved generation means the check still holds, so
    /// nothing is read again and the claim is one round trip of writes. A moved one is a conflict
    /// (the caller reloads the provider and moves on), and nothing is written.
    /// </summary>
    public async Task<ClaimOutcome> ClaimAtGenerationAsync(string consumer, string projectId, string userId, HostClaim claim,
        CancellationToken cancellationToken = default)
    {
        var now = Now;
        var args = new DynamicParameters(new { consumer, projectId, userId, now, id = claim.ProviderId, seen = claim.Generation });
        var values = new System.Text.StringBuilder();
        var n = 0;
        foreach (var (rc, used) in claim.Resources)
        {
            values.Append(n > 0 ? ", " : "").Append($"(@id, @consumer, @rc{n}, @used{n}, @now)");
            args.Add($"rc{n}", rc);
            args.Add($"used{n}", used);
            n++;
        }
        // The provider's compare-and-set first (answering how many rows it changed), then the
        // providers the consumer held before, whose usage this changes too.
        var sql = $"""
            UPDATE resource_providers SET generation = generation + 1, updated_at = @now WHERE id = @id AND generation = @seen; SELECT ROW_COUNT();
            UPDATE allocations a JOIN resource_providers rp ON rp.id = a.resource_provider_id
              SET rp.generation = rp.generation + 1, rp.updated_at = @now WHERE a.consumer_id = @consumer AND rp.id <> @id;
            DELETE FROM allocations WHERE consumer_id = @consumer;
            {(n > 0 ? $"INSERT INTO allocations (resource_provider_id, consumer_id, resource_class, used, created_at) VALUES {values};" : "")}
            INSERT INTO consumers (uuid, project_id, user_id, generation, created_at, updated_at) VALUES (@consumer, @projectId, @userId, 1, @now, @now)
            ON DUPLICATE KEY UPDATE project_id = @projectId, user_id = @userId, generation = generation + 1, updated_at = @now;
            """;
        try
        {
            await using var c = await db.OpenAsync(cancellationToken);
            await using var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
            long changed;
            await using (var writes = await c.QueryMultipleAsync(new CommandDefinition(sql, args, tx, cancellationToken: cancellationToken)))
                changed = await writes.ReadSingleAsync<long>();
            if (changed != 1)
            {
                await tx.RollbackAsync(cancellationToken);
                return ClaimOutcome.Refused("resource provider generation conflict", conflict: true);
            }
            await tx.CommitAsync(cancellationToken);
            return new ClaimOutcome(true, "", new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase) { [claim.ProviderUuid] = claim.Generation + 1 })
            { UpdatedAt = now };
        }
        catch (MySqlException e) when (IsRetryable(e))
        {
            return ClaimOutcome.Refused("concurrent update", conflict: true);
        }
    }

    private sealed record UsageRow(long ResourceProviderId, string ResourceClass, long Used);

    // What a node's report may change of its host state, besides the time of the report.
    private sealed record HostStateFields(string? Host, string? HypervisorHostname, string? HypervisorType, long HypervisorVersion, string? HostIp,
        string? CpuInfo, string? SupportedInstances, int FailedBuilds);

    private sealed class ConsumerRow
    {
        public string ProjectId { get; init; } = "";
        public string UserId { get; init; } = "";
    }

    private async Task<ClaimOutcome> ClaimOnceAsync(string consumer, string projectId, string userId, IReadOnlyList<AllocationRequest> requests,
        CancellationToken cancellationToken)
    {
        var now = Now;
        await using var c = await db.OpenAsync(cancellationToken);
        await using var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
        var uuids = requests.Select(r => r.ProviderUuid).Distinct(StringComparer.OrdinalIgnoreCase).ToList();

        // Every read in one round trip, in this order: generations first, then what they guard,
        // so a change committed after the first read moves the generation and the
        // compare-and-set below catches it.
        List<(long Id, string Uuid, long Generation)> providers;
        List<(long Id, long Generation)> previous;
        Dictionary<(long, string), InventoryRecord> inventories;
        Dictionary<(long, string), long> usage;
        await using (var reads = await c.QueryMultipleAsync(new CommandDefinition("""
            SELECT id, uuid, generation FROM resource_providers WHERE uuid IN @uuids;
            SELECT DISTINCT rp.id, rp.generation FROM allocations a JOIN resource_providers rp ON rp.id = a.resource_provider_id WHERE a.consumer_id = @consumer;
            SELECT i.resource_provider_id, i.resource_class, i.total, i.reserved, i.min_unit, i.max_unit, i.step_size, i.allocation_ratio
              FROM inventories i JOIN resource_providers rp ON rp.id = i.resource_provider_id WHERE rp.uuid IN @uuids;
            SELECT a.resource_provider_id, a.resource_class, CAST(SUM(a.used) AS SIGNED) AS used
              FROM allocations a JOIN resource_providers rp ON rp.id = a.resource_provider_id
              WHERE rp.uuid IN @uuids AND a.consumer_id <> @consumer GROUP BY a.resource_provider_id, a.resource_class;
            """, new { uuids, consumer }, tx, cancellationToken: cancellationToken)))
        {
            providers = [.. await reads.ReadAsync<(long Id, string Uuid, long Generation)>()];
            previous = [.. await reads.ReadAsync<(long Id, long Generation)>()];
            inventories = (await reads.ReadAsync<(long ProviderId, string ResourceClass, long Total, long Reserved, long MinUnit, long MaxUnit, long StepSize, double AllocationRatio)>())
                .ToDictionary(i => (i.ProviderId, i.ResourceClass), i => new InventoryRecord(i.ResourceClass, i.Total, i.Reserved, i.MinUnit, i.MaxUnit, i.StepSize, i.AllocationRatio));
            usage = (await reads.ReadAsync<UsageRow>()).ToDictionary(u => (u.ResourceProviderId, u.ResourceClass), u => u.Used);
        }
        var byUuid = providers.ToDictionary(p => p.Uuid, StringComparer.OrdinalIgnoreCase);
        foreach (var u in uuids)
            if (!byUuid.ContainsKey(u)) return ClaimOutcome.Refused($"resource provider {u} not found");

        var merged = new Dictionary<(long, string), long>();
        foreach (var r in requests)
        {
            var id = byUuid[r.ProviderUuid].Id;
            foreach (var (rc, amount) in r.Resources)
                merged[(id, rc)] = merged.GetValueOrDefault((id, rc)) + amount;
        }
        foreach (var ((id, rc), amount) in merged)
        {
            var uuid = providers.First(p => p.Id == id).Uuid;
            if (!inventories.TryGetValue((id, rc), out var inventory))
                return ClaimOutcome.Refused($"resource provider {uuid} has no inventory of {rc}");
            if (!inventory.AcceptsUnit(amount))
                return ClaimOutcome.Refused($"{amount} {rc} on {uuid} breaks min_unit {inventory.MinUnit}, max_unit {inventory.MaxUnit} or step_size {inventory.StepSize}");
            var used = usage.GetValueOrDefault((id, rc));
            if (used + amount > inventory.Capacity)
                return ClaimOutcome.Refused($"not enough {rc} on {uuid}: {used} used of {inventory.Capacity}, {amount} asked");
        }

        // Every write in one round trip: the generation compare-and-sets (each answering how many
        // rows it changed), then the allocations and the consumer. A set that changed nothing
        // means someone else got there first: all of it is rolled back.
        var touched = providers.Select(p => (p.Id, p.Generation)).Concat(previous).DistinctBy(p => p.Id).OrderBy(p => p.Id).ToList();
        var sql = new System.Text.StringBuilder();
        var args = new DynamicParameters(new { consumer, projectId, userId, now });
        for (var i = 0; i < touched.Count; i++)
        {
            sql.Append($"UPDATE resource_providers SET generation = generation + 1, updated_at = @now WHERE id = @id{i} AND generation = @seen{i}; SELECT ROW_COUNT();\n");
            args.Add($"id{i}", touched[i].Id);
            args.Add($"seen{i}", touched[i].Generation);
        }
        sql.Append("DELETE FROM allocations WHERE consumer_id = @consumer;\n");
        if (merged.Count > 0)
        {
            sql.Append("INSERT INTO allocations (resource_provider_id, consumer_id, resource_class, used, created_at) VALUES ");
            var n = 0;
            foreach (var ((id, rc), used) in merged)
            {
                sql.Append(n > 0 ? ", " : "").Append($"(@p{n}, @consumer, @rc{n}, @used{n}, @now)");
                args.Add($"p{n}", id);
                args.Add($"rc{n}", rc);
                args.Add($"used{n}", used);
                n++;
            }
            sql.Append(";\n");
        }
        sql.Append("""
            INSERT INTO consumers (uuid, project_id, user_id, generation, created_at, updated_at) VALUES (@consumer, @projectId, @userId, 1, @now, @now)
            ON DUPLICATE KEY UPDATE project_id = @projectId, user_id = @userId, generation = generation + 1, updated_at = @now;
            """);
        var setsChanged = new List<long>();
        await using (var writes = await c.QueryMultipleAsync(new CommandDefinition(sql.ToString(), args, tx, cancellationToken: cancellationToken)))
        {
            for (var i = 0; i < touched.Count; i++) setsChanged.Add(await writes.ReadSingleAsync<long>());
        }
        if (setsChanged.Any(changed => changed == 0))
        {
            await tx.RollbackAsync(cancellationToken);
            return ClaimOutcome.Refused("resource provider generation conflict", conflict: true);
        }
        var generations = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
        foreach (var (id, seen) in touched)
            if (providers.FirstOrDefault(p => p.Id == id) is { Uuid: not null } p) generations[p.Uuid] = seen + 1;
        await tx.CommitAsync(cancellationToken);
        return new ClaimOutcome(true, "", generations) { UpdatedAt = now };
    }

    /// <summary>Removes what the consumer holds; false when it held nothing.</summary>
    public async Task<bool> DeleteAllocationsAsync(string consumer, CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var now = Now;
                await using var c = await db.OpenAsync(cancellationToken);
                await using var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
                var ids = (await c.QueryAsync<long>(
                    "SELECT DISTINCT resource_provider_id FROM allocations WHERE consumer_id = @consumer FOR UPDATE", new { consumer }, tx)).Order().ToList();
                foreach (var id in ids)
                    await c.ExecuteAsync("UPDATE resource_providers SET generation = generation + 1, updated_at = @now WHERE id = @id", new { id, now }, tx);
                var deleted = await c.ExecuteAsync("DELETE FROM allocations WHERE consumer_id = @consumer", new { consumer }, tx);
                await c.ExecuteAsync("DELETE FROM consumers WHERE uuid = @consumer", new { consumer }, tx);
                await tx.CommitAsync(cancellationToken);
                return deleted > 0;
            }
            catch (MySqlException e) when (IsRetryable(e) && attempt < WriteAttempts)
            {
                await Task.Delay(Random.Shared.Next(1, 10 * attempt), cancellationToken);
            }
        }
    }

    public async Task<(IReadOnlyList<AllocationRequest> Allocations, string? ProjectId, string? UserId)> GetAllocationsAsync(string consumer,
        CancellationToken cancellationToken = default)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        var rows = await c.QueryAsync<(string Uuid, string ResourceClass, long Used)>("""
            SELECT rp.uuid, a.resource_class, a.used FROM allocations a JOIN resource_providers rp ON rp.id = a.resource_provider_id WHERE a.consumer_id = @consumer
            """, new { consumer });
        var who = await c.QueryFirstOrDefaultAsync<ConsumerRow>(
            "SELECT project_id, user_id FROM consumers WHERE uuid = @consumer", new { consumer });
        var allocations = rows.GroupBy(r => r.Uuid)
            .Select(g => new AllocationRequest(g.Key, g.ToDictionary(r => r.ResourceClass, r => r.Used))).ToList();
        return (allocations, who?.ProjectId, who?.UserId);
    }

    private const string ProviderColumns = """
        rp.id, rp.uuid, rp.name, rp.generation, rp.updated_at, h.host, h.hypervisor_hostname, h.hypervisor_type, h.hypervisor_version, h.host_ip,
        h.cpu_info, h.supported_instances, h.failed_builds, h.disabled, h.disabled_reason, h.forced_down, h.last_report_at
        """;

    /// <summary>(id, generation, updated_at) of providers changed at or after <paramref name="since"/>: the view's cheap poll.</summary>
    public async Task<IReadOnlyList<(long Id, long Generation, DateTime UpdatedAt)>> ChangedSinceAsync(DateTime since, CancellationToken cancellationToken = default)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return [.. await c.QueryAsync<(long, long, DateTime)>(
            new CommandDefinition("SELECT id, generation, updated_at FROM resource_providers WHERE updated_at >= @since", new { since }, cancellationToken: cancellationToken))];
    }

    /// <summary>(provider id, last_report_at) of nodes that reported at or after <paramref name="since"/>: the view's look at which nodes are up.</summary>
    public async Task<IReadOnlyList<(long Id, DateTime LastReportAt)>> ReportedSinceAsync(DateTime since, CancellationToken cancellationToken = default)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return [.. await c.QueryAsync<(long, DateTime)>(new CommandDefinition(
            "SELECT resource_provider_id, last_report_at FROM compute_host_states WHERE last_report_at >= @since", new { since }, cancellationToken: cancellationToken))];
    }

    /// <summary>Providers with everything the filters read, in one consistent snapshot; all of them when <paramref name="ids"/> is null.</summary>
    public async Task<IReadOnlyList<ProviderSnapshot>> LoadProvidersAsync(IReadOnlyCollection<long>? ids, string? host = null, CancellationToken cancellationToken = default)
    {
        if (ids is { Count: 0 }) return [];
        await using var c = await db.OpenAsync(cancellationToken);
        await using var tx = await c.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        var where = ids is not null ? "WHERE rp.id IN @ids" : host is not null ? "WHERE h.host = @host" : "";
        var join = host is not null ? "JOIN" : "LEFT JOIN";
        var rows = (await c.QueryAsync<ProviderRow>(
            $"SELECT {ProviderColumns} FROM resource_providers rp {join} compute_host_states h ON h.resource_provider_id = rp.id {where}",
            new { ids, host }, tx)).ToList();
        if (rows.Count == 0) return [];
        var scope = ids is null && host is null ? "" : "WHERE resource_provider_id IN @rowIds";
        var rowIds = rows.Select(r => r.Id).ToList();
        var inventories = (await c.QueryAsync<(long ProviderId, string ResourceClass, long Total, long Reserved, long MinUnit, long MaxUnit, long StepSize, double AllocationRatio)>(
            $"SELECT resource_provider_id, resource_class, total, reserved, min_unit, max_unit, step_size, allocation_ratio FROM inventories {scope}", new { rowIds }, tx))
            .ToLookup(i => i.ProviderId, i => new InventoryRecord(i.ResourceClass, i.Total, i.Reserved, i.MinUnit, i.MaxUnit, i.StepSize, i.AllocationRatio));
        var usage = (await c.QueryAsync<UsageRow>(
            $"SELECT resource_provider_id, resource_class, CAST(SUM(used) AS SIGNED) AS used FROM allocations {scope} GROUP BY resource_provider_id, resource_class", new { rowIds }, tx))
            .ToLookup(u => u.ResourceProviderId);
        var consumers = (await c.QueryAsync<(long ProviderId, long Count)>(
            $"SELECT resource_provider_id, COUNT(DISTINCT consumer_id) FROM allocations {scope} GROUP BY resource_provider_id", new { rowIds }, tx))
            .ToDictionary(x => x.ProviderId, x => x.Count);
        var traits = (await c.QueryAsync<(long ProviderId, string Name)>(
            $"SELECT rt.resource_provider_id, t.name FROM resource_provider_traits rt JOIN traits t ON t.id = rt.trait_id {scope.Replace("resource_provider_id", "rt.resource_provider_id", StringComparison.Ordinal)}",
            new { rowIds }, tx)).ToLookup(t => t.ProviderId, t => t.Name);
        var aggregates = (await c.QueryAsync<(long ProviderId, string? Zone, string Metadata)>(
            $"SELECT ra.resource_provider_id, a.availability_zone, a.metadata FROM resource_provider_aggregates ra JOIN aggregates a ON a.id = ra.aggregate_id {scope.Replace("resource_provider_id", "ra.resource_provider_id", StringComparison.Ordinal)} ORDER BY a.id",
            new { rowIds }, tx)).ToLookup(a => a.ProviderId);
        await tx.CommitAsync(cancellationToken);

        return [.. rows.Select(r =>
        {
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            string? zone = null;
            foreach (var a in aggregates[r.Id])
            {
                zone ??= a.Zone;
                foreach (var (k, v) in JsonSerializer.Deserialize<Dictionary<string, string>>(a.Metadata) ?? []) metadata.TryAdd(k, v);
            }
            return new ProviderSnapshot(r,
                inventories[r.Id].ToDictionary(i => i.ResourceClass, StringComparer.Ordinal),
                usage[r.Id].ToDictionary(u => u.ResourceClass, u => u.Used, StringComparer.Ordinal),
                (int)consumers.GetValueOrDefault(r.Id),
                traits[r.Id].ToHashSet(StringComparer.Ordinal),
                zone, metadata);
        })];
    }

    private static bool IsRetryable(MySqlException e) =>
        e.ErrorCode is MySqlErrorCode.LockDeadlock or MySqlErrorCode.LockWaitTimeout;
}
