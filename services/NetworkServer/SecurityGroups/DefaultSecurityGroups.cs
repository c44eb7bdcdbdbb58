using System.Collections.Concurrent;
using System.Data.Common;
using Dapper;
using NetworkServer.Db;
using Platform.Data;

namespace NetworkServer.SecurityGroups;

/// <summary>
/// The <c>default</c> security group each project gets on first use, with neutron's default
/// rules: all egress (IPv4 and IPv6) and ingress from members of the group itself. The
/// default_security_group key makes two first uses at once agree on one group. Known groups are
/// remembered, so a port create does not look for it again.
/// </summary>
public sealed class DefaultSecurityGroups(IDbConnectionFactory db, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, string> known = new();

    public async Task<string> EnsureAsync(string projectId)
    {
        if (known.TryGetValue(projectId, out var cached)) return cached;
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        var id = Guid.NewGuid().ToString();
        if (await c.ExecuteAsync("INSERT IGNORE INTO default_security_group (project_id, security_group_id) VALUES (@projectId, @id)", new { projectId, id }, tx) == 1)
            await CreateGroupAsync(tx, id, projectId, "default", "Default security group", withDefaultRules: true, time.GetUtcNow().UtcDateTime);
        else
            id = await c.ExecuteScalarAsync<string>("SELECT security_group_id FROM default_security_group WHERE project_id = @projectId", new { projectId }, tx) ?? id;
        await tx.CommitAsync();
        known[projectId] = id;
        return id;
    }

    public void Forget(string groupId)
    {
        foreach (var (project, id) in known)
            if (id == groupId) known.TryRemove(project, out _);
    }

    /// <summary>A group and its first rules: both egress rules always; the two ingress-from-self rules for a default group.</summary>
    public static async Task<SecurityGroup> CreateGroupAsync(DbTransaction tx, string id, string projectId, string name, string description, bool withDefaultRules, DateTime now)
    {
        var group = new SecurityGroup(id, projectId, name, description, true, now, now, 1);
        var c = tx.Connection!;
        await c.ExecuteAsync($"INSERT INTO securitygroups ({SecurityGroup.Columns}) VALUES (@Id, @ProjectId, @Name, @Description, @Stateful, @CreatedAt, @UpdatedAt, @RevisionNumber)", group, tx);
        var rules = new List<SecurityGroupRule>();
        foreach (var ethertype in new[] { "IPv4", "IPv6" })
        {
            rules.Add(new SecurityGroupRule(Guid.NewGuid().ToString(), projectId, id, "egress", ethertype, null, null, null, null, null, "", now, now, 0));
            if (withDefaultRules)
                rules.Add(new SecurityGroupRule(Guid.NewGuid().ToString(), projectId, id, "ingress", ethertype, null, null, null, null, id, "", now, now, 0));
        }
        await InsertRulesAsync(tx, rules);
        return group;
    }

    public static Task InsertRulesAsync(DbTransaction tx, IEnumerable<SecurityGroupRule> rules) =>
        tx.Connection!.ExecuteAsync($"""
            INSERT INTO securitygrouprules ({SecurityGroupRule.Columns}) VALUES (@Id, @ProjectId, @SecurityGroupId, @Direction, @Ethertype, @Protocol,
              @PortRangeMin, @PortRangeMax, @RemoteIpPrefix, @RemoteGroupId, @Description, @CreatedAt, @UpdatedAt, @RevisionNumber)
            """, rules, tx);
}
