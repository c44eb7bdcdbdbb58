using System.Data.Common;
using System.Text.Json;
using ComputeApi.Common;
using ComputeApi.Quotas;
using Dapper;
using Scheduler.Contracts;

namespace ComputeApi.ServerGroups;

/// <summary>A server group as a build needs it: the scheduler's view of it and the instances already in it.</summary>
public sealed record ServerGroupForBuild(InstanceGroupSpec Spec, IReadOnlyList<string> Members);

/// <summary>
/// What server create needs of server groups: resolving the <c>group</c> scheduler hint and
/// adding the new server to the group (with the server_group_members quota).
/// </summary>
public sealed class ServerGroupLookup(QuotaEngine quotas)
{
    /// <summary>
    /// The group <paramref name="groupUuid"/> if <paramref name="projectId"/> owns it (any project's
    /// when <paramref name="projectId"/> is null), locked for the rest of the transaction so
    /// members are counted and added one build at a time; null when there is no such group.
    /// </summary>
    public async Task<ServerGroupForBuild?> GetForBuildAsync(DbTransaction tx, string groupUuid, string? projectId, CancellationToken cancellationToken = default)
    {
        var c = tx.Connection!;
        var row = await c.QuerySingleOrDefaultAsync<(string Uuid, string Policy, string Rules)>(new CommandDefinition("""
            SELECT uuid, policy, rules FROM instance_groups
            WHERE uuid = @groupUuid AND (@projectId IS NULL OR project_id = @projectId) FOR UPDATE
            """, new { groupUuid, projectId }, tx, cancellationToken: cancellationToken));
        if (row.Uuid is null) return null;
        var members = (await c.QueryAsync<string>(new CommandDefinition(
            "SELECT instance_uuid FROM instance_group_members WHERE group_uuid = @groupUuid ORDER BY created_at, instance_uuid",
            new { groupUuid }, tx, cancellationToken: cancellationToken))).ToList();
        var spec = new InstanceGroupSpec { Uuid = row.Uuid, Policy = row.Policy, MaxServerPerHost = MaxServerPerHost(row.Rules) ?? 1 };
        return new ServerGroupForBuild(spec, members);
    }

    /// <summary>
    /// Adds <paramref name="instanceUuid"/> to the group (idempotent), refusing with nova's 403
    /// when the group is full (server_group_members quota of the group's project).
    /// </summary>
    public async Task AddMemberAsync(DbTransaction tx, string groupUuid, string instanceUuid, CancellationToken cancellationToken = default)
    {
        var c = tx.Connection!;
        var projectId = await c.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT project_id FROM instance_groups WHERE uuid = @groupUuid FOR UPDATE", new { groupUuid }, tx, cancellationToken: cancellationToken))
            ?? throw NovaErrors.BadRequest($"Group {groupUuid} could not be found.");
        var already = await c.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT COUNT(*) FROM instance_group_members WHERE group_uuid = @groupUuid AND instance_uuid = @instanceUuid",
            new { groupUuid, instanceUuid }, tx, cancellationToken: cancellationToken));
        if (already > 0) return;
        await quotas.CheckGroupMembersAsync(tx, projectId, groupUuid, 1, cancellationToken);
        await c.ExecuteAsync(new CommandDefinition("""
            INSERT INTO instance_group_members (group_uuid, instance_uuid, created_at) VALUES (@groupUuid, @instanceUuid, UTC_TIMESTAMP(6))
            """, new { groupUuid, instanceUuid }, tx, cancellationToken: cancellationToken));
    }

    /// <summary>Takes a deleted server out of its group, as nova does when the instance is destroyed.</summary>
    public static Task RemoveMemberAsync(DbTransaction tx, string instanceUuid, CancellationToken cancellationToken = default) =>
        tx.Connection!.ExecuteAsync(new CommandDefinition(
            "DELETE FROM instance_group_members WHERE instance_uuid = @instanceUuid", new { instanceUuid }, tx, cancellationToken: cancellationToken));

    /// <summary>How many members <paramref name="groupUuid"/> has (for the server_group_members quota).</summary>
    public static Task<int> CountMembersAsync(DbTransaction tx, string groupUuid, CancellationToken cancellationToken = default) =>
        tx.Connection!.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT COUNT(*) FROM instance_group_members WHERE group_uuid = @groupUuid", new { groupUuid }, tx, cancellationToken: cancellationToken));

    internal static int? MaxServerPerHost(string? rules)
    {
        if (string.IsNullOrWhiteSpace(rules)) return null;
        using var doc = JsonDocument.Parse(rules);
        return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("max_server_per_host", out var v) && v.TryGetInt32(out var n) ? n : null;
    }
}
