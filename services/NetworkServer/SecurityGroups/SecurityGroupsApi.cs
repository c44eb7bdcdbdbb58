using System.Data.Common;
using Dapper;
using NetworkServer.Agents;
using NetworkServer.Common;
using NetworkServer.Db;
using NetworkServer.Ipam;
using NetworkServer.Quotas;
using Platform.Data;

namespace NetworkServer.SecurityGroups;

/// <summary>/v2.0/security-groups and /v2.0/security-group-rules; a project's <c>default</c> group appears on its first use.</summary>
public static class SecurityGroupsApi
{
    private static readonly string[] Protocols = ["ah", "dccp", "egp", "esp", "gre", "hopopt", "icmp", "igmp", "ip", "ipip", "ipv6-encap", "ipv6-frag",
        "ipv6-icmp", "icmpv6", "ipv6-nonxt", "ipv6-opts", "ipv6-route", "ospf", "pgm", "rsvp", "sctp", "tcp", "udp", "udplite", "vrrp", "any"];

    private static readonly Dictionary<string, string> GroupColumns = new()
    {
        ["id"] = "id", ["name"] = "name", ["project_id"] = "project_id", ["tenant_id"] = "project_id",
    };

    private static readonly Dictionary<string, string> RuleColumns = new()
    {
        ["id"] = "id", ["security_group_id"] = "security_group_id", ["project_id"] = "project_id", ["tenant_id"] = "project_id",
        ["direction"] = "direction", ["ethertype"] = "ethertype", ["protocol"] = "protocol", ["remote_group_id"] = "remote_group_id",
    };

    public static void MapSecurityGroups(this IEndpointRouteBuilder v2)
    {
        v2.MapPost("/security-groups", CreateAsync);
        v2.MapGet("/security-groups", ListAsync);
        v2.MapGet("/security-groups/{id}", ShowAsync);
        v2.MapPut("/security-groups/{id}", UpdateAsync);
        v2.MapDelete("/security-groups/{id}", DeleteAsync);
        v2.MapPost("/security-group-rules", CreateRuleAsync);
        v2.MapGet("/security-group-rules", ListRulesAsync);
        v2.MapGet("/security-group-rules/{id}", ShowRuleAsync);
        v2.MapDelete("/security-group-rules/{id}", DeleteRuleAsync);
    }

    private static async Task<SecurityGroup> FindVisibleAsync(DbConnection c, NeutronAuthz authz, string id, DbTransaction? tx = null)
    {
        var group = await RowLookup.ByIdAsync<SecurityGroup>(c, "securitygroups", SecurityGroup.Columns, id, tx);
        if (group is null || !authz.Allows("get_security_group", NeutronAuthz.Target(group.ProjectId))) throw NeutronErrors.NotFound("security_group", id);
        return group;
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, IDbConnectionFactory db, NeutronAuthz authz, DefaultSecurityGroups defaults,
        QuotaEngine quotas, TimeProvider time)
    {
        var body = await NeutronBody.ReadAsync(request, "security_group", ["name", "description", "project_id", "tenant_id", "stateful", "tags"]);
        var owner = authz.OwnerFor(body);
        authz.Enforce("create_security_group", NeutronAuthz.Target(owner));
        var name = body.String("name") ?? "";
        if (name == "default") throw NeutronErrors.Conflict("SecurityGroupDefaultAlreadyExists", "Default security group already exists.");
        await defaults.EnsureAsync(owner);
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        await quotas.CheckAsync(tx, "security_group", owner, 1);
        var group = await DefaultSecurityGroups.CreateGroupAsync(tx, Guid.NewGuid().ToString(), owner, name, body.String("description") ?? "", withDefaultRules: false, time.GetUtcNow().UtcDateTime);
        await tx.CommitAsync();
        return Results.Json(new { security_group = (await ViewsAsync(c, [group]))[0] }, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> ListAsync(HttpRequest request, IDbConnectionFactory db, NeutronAuthz authz, DefaultSecurityGroups defaults)
    {
        if (NeutronAuthz.Caller.ProjectId is { } project) await defaults.EnsureAsync(project);
        var (where, args) = NeutronList.Where(request, authz, "project_id = @project", GroupColumns);
        await using var c = await db.OpenAsync();
        var groups = (await c.QueryAsync<SecurityGroup>($"SELECT {SecurityGroup.Columns} FROM securitygroups WHERE {where} ORDER BY id", args)).ToList();
        return Results.Json(NeutronList.Shape(request, "security_groups", await ViewsAsync(c, groups)));
    }

    private static async Task<IResult> ShowAsync(string id, HttpRequest request, IDbConnectionFactory db, NeutronAuthz authz)
    {
        await using var c = await db.OpenAsync();
        var group = await FindVisibleAsync(c, authz, id);
        return Results.Json(new { security_group = NeutronList.Single(request, (await ViewsAsync(c, [group]))[0]) });
    }

    private static async Task<IResult> UpdateAsync(string id, HttpRequest request, IDbConnectionFactory db, NeutronAuthz authz, TimeProvider time)
    {
        var body = await NeutronBody.ReadAsync(request, "security_group", ["name", "description", "stateful"]);
        await using var c = await db.OpenAsync();
        var group = await FindVisibleAsync(c, authz, id);
        authz.Enforce("update_security_group", NeutronAuthz.Target(group.ProjectId));
        if (group.Name == "default" && body.String("name") is { } n && n != "default")
            throw NeutronErrors.Conflict("SecurityGroupCannotUpdateDefault", "Updating default security group not allowed.");
        var updated = group with
        {
            Name = body.String("name") ?? group.Name,
            Description = body.String("description") ?? group.Description,
            UpdatedAt = time.GetUtcNow().UtcDateTime,
            RevisionNumber = group.RevisionNumber + 1,
        };
        await c.ExecuteAsync("UPDATE securitygroups SET name = @Name, description = @Description, updated_at = @UpdatedAt, revision_number = @RevisionNumber WHERE id = @Id", updated);
        return Results.Json(new { security_group = (await ViewsAsync(c, [updated]))[0] });
    }

    private static async Task<IResult> DeleteAsync(string id, IDbConnectionFactory db, NeutronAuthz authz, DefaultSecurityGroups defaults)
    {
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        var group = await FindVisibleAsync(c, authz, id, tx);
        authz.Enforce("delete_security_group", NeutronAuthz.Target(group.ProjectId));
        if (group.Name == "default" && !authz.IsAdmin)
            throw NeutronErrors.Conflict("SecurityGroupCannotRemoveDefault", "Insufficient rights for removing default security group.");
        if (await c.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM securitygroupportbindings WHERE security_group_id = @id", new { id = group.Id }, tx) > 0)
            throw NeutronErrors.Conflict("SecurityGroupInUse", $"Security Group {group.Id} in use.");
        await c.ExecuteAsync("""
            DELETE FROM securitygrouprules WHERE security_group_id = @id OR remote_group_id = @id;
            DELETE FROM default_security_group WHERE security_group_id = @id;
            DELETE FROM securitygroups WHERE id = @id;
            """, new { id = group.Id }, tx);
        await tx.CommitAsync();
        defaults.Forget(group.Id);
        return Results.NoContent();
    }

    private static async Task<IResult> CreateRuleAsync(HttpRequest request, IDbConnectionFactory db, NeutronAuthz authz, AgentNotifier notifier,
        QuotaEngine quotas, TimeProvider time)
    {
        var body = await NeutronBody.ReadAsync(request, "security_group_rule",
            ["security_group_id", "direction", "ethertype", "protocol", "port_range_min", "port_range_max", "remote_ip_prefix", "remote_group_id",
             "remote_address_group_id", "description", "project_id", "tenant_id"]);
        var groupId = body.RequiredUuid("security_group_id");
        var direction = body.String("direction") ?? throw NeutronErrors.BadRequest("HTTPBadRequest", "Failed to parse request. Required attribute 'direction' not specified");
        if (direction is not ("ingress" or "egress")) throw NeutronErrors.BadAttribute("direction", $"'{direction}' is not in ['ingress', 'egress']");
        var ethertype = body.String("ethertype") ?? "IPv4";
        if (ethertype is not ("IPv4" or "IPv6")) throw NeutronErrors.BadRequest("SecurityGroupRuleInvalidEtherType", $"Security group rule for ethertype '{ethertype}' not supported. Allowed values are ['IPv4', 'IPv6'].");
        var protocol = body.String("protocol")?.ToLowerInvariant();
        if (protocol is not null && !Protocols.Contains(protocol) && !(int.TryParse(protocol, out var number) && number is >= 0 and <= 255))
            throw NeutronErrors.BadRequest("SecurityGroupRuleInvalidProtocol", $"Security group rule protocol {protocol} not supported. Only protocol values [{string.Join(", ", Protocols)}] and integer representations [0 to 255] are supported.");
        if (protocol is "any") protocol = null;
        var min = body.Int("port_range_min");
        var max = body.Int("port_range_max");
        if (min is not null || max is not null)
        {
            if (protocol is null) throw NeutronErrors.BadRequest("SecurityGroupProtocolRequiredWithPorts", "Must also specify protocol if port range is given.");
            if (protocol is "tcp" or "udp" or "sctp" or "dccp" or "udplite" or "6" or "17")
            {
                if (min is null || max is null || min < 1 || max > 65535 || min > max)
                    throw NeutronErrors.BadRequest("SecurityGroupInvalidPortRange", "For TCP/UDP protocols, port_range_min must be <= port_range_max");
            }
            else if (protocol is "icmp" or "ipv6-icmp" or "icmpv6" && (min is < 0 or > 255 || max is < 0 or > 255))
                throw NeutronErrors.BadRequest("SecurityGroupInvalidIcmpValue", $"Invalid value for ICMP {(min is < 0 or > 255 ? "type" : "code")}, it must be between 0 and 255.");
        }
        var prefix = body.String("remote_ip_prefix");
        if (prefix is not null)
        {
            var parsed = prefix.Contains('/') ? IpAddressing.ParseCidr(prefix, "remote_ip_prefix") : HostNetwork(IpAddressing.ParseAddress(prefix, "remote_ip_prefix"));
            if ($"IPv{IpAddressing.Version(parsed.BaseAddress)}" != ethertype)
                throw NeutronErrors.BadRequest("SecurityGroupRuleParameterConflict", $"Conflicting value ethertype {ethertype} for CIDR {prefix}");
            prefix = parsed.ToString();
        }
        var remoteGroup = body.Uuid("remote_group_id");
        if (prefix is not null && remoteGroup is not null)
            throw NeutronErrors.BadRequest("SecurityGroupRemoteGroupAndRemoteIpPrefix", "Only remote_ip_prefix or remote_group_id may be provided.");

        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        var group = await FindVisibleAsync(c, authz, groupId, tx);
        authz.Enforce("create_security_group_rule", NeutronAuthz.Target(group.ProjectId));
        if (remoteGroup is not null) await FindVisibleAsync(c, authz, remoteGroup, tx);
        var now = time.GetUtcNow().UtcDateTime;
        var rule = new SecurityGroupRule(Guid.NewGuid().ToString(), group.ProjectId, group.Id, direction, ethertype, protocol, min, max, prefix, remoteGroup,
            body.String("description") ?? "", now, now, 0);
        var existing = await c.QueryAsync<SecurityGroupRule>($"SELECT {SecurityGroupRule.Columns} FROM securitygrouprules WHERE security_group_id = @id", new { id = group.Id }, tx);
        if (existing.FirstOrDefault(r => r.Direction == rule.Direction && r.Ethertype == rule.Ethertype && r.Protocol == rule.Protocol && r.PortRangeMin == rule.PortRangeMin
            && r.PortRangeMax == rule.PortRangeMax && r.RemoteIpPrefix == rule.RemoteIpPrefix && r.RemoteGroupId == rule.RemoteGroupId) is { } same)
            throw NeutronErrors.Conflict("SecurityGroupRuleExists", $"Security group rule already exists. Rule id is {same.Id}.");
        await quotas.CheckAsync(tx, "security_group_rule", group.ProjectId, 1);
        await DefaultSecurityGroups.InsertRulesAsync(tx, [rule]);
        await notifier.SecurityGroupRulesChangedAsync(tx, [group.Id]);
        await tx.CommitAsync();
        notifier.Flush();
        return Results.Json(new { security_group_rule = RuleView(rule) }, statusCode: StatusCodes.Status201Created);
    }

    /// <summary>A bare address as the /32 (or /128) it stands for.</summary>
    private static System.Net.IPNetwork HostNetwork(System.Net.IPAddress a) => new(a, IpAddressing.Version(a) == 4 ? 32 : 128);

    private static async Task<IResult> ListRulesAsync(HttpRequest request, IDbConnectionFactory db, NeutronAuthz authz, DefaultSecurityGroups defaults)
    {
        if (NeutronAuthz.Caller.ProjectId is { } project) await defaults.EnsureAsync(project);
        var (where, args) = NeutronList.Where(request, authz, "project_id = @project", RuleColumns);
        await using var c = await db.OpenAsync();
        var rules = await c.QueryAsync<SecurityGroupRule>($"SELECT {SecurityGroupRule.Columns} FROM securitygrouprules WHERE {where} ORDER BY id", args);
        return Results.Json(NeutronList.Shape(request, "security_group_rules", rules.Select(RuleView)));
    }

    private static async Task<SecurityGroupRule> FindRuleAsync(DbConnection c, NeutronAuthz authz, string id, DbTransaction? tx = null)
    {
        var rule = await RowLookup.ByIdAsync<SecurityGroupRule>(c, "securitygrouprules", SecurityGroupRule.Columns, id, tx);
        if (rule is null || !authz.Allows("get_security_group_rule", NeutronAuthz.Target(rule.ProjectId))) throw NeutronErrors.NotFound("security_group_rule", id);
        return rule;
    }

    private static async Task<IResult> ShowRuleAsync(string id, HttpRequest request, IDbConnectionFactory db, NeutronAuthz authz)
    {
        await using var c = await db.OpenAsync();
        return Results.Json(new { security_group_rule = NeutronList.Single(request, RuleView(await FindRuleAsync(c, authz, id))) });
    }

    private static async Task<IResult> DeleteRuleAsync(string id, IDbConnectionFactory db, NeutronAuthz authz, AgentNotifier notifier)
    {
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        var rule = await FindRuleAsync(c, authz, id, tx);
        authz.Enforce("delete_security_group_rule", NeutronAuthz.Target(rule.ProjectId));
        await c.ExecuteAsync("DELETE FROM securitygrouprules WHERE id = @id", new { id = rule.Id }, tx);
        await notifier.SecurityGroupRulesChangedAsync(tx, [rule.SecurityGroupId]);
        await tx.CommitAsync();
        notifier.Flush();
        return Results.NoContent();
    }

    private static async Task<List<Dictionary<string, object?>>> ViewsAsync(DbConnection c, IReadOnlyList<SecurityGroup> groups)
    {
        var ids = groups.Select(g => g.Id).ToList();
        var rules = ids.Count == 0 ? Array.Empty<SecurityGroupRule>().ToLookup(r => r.SecurityGroupId)
            : (await c.QueryAsync<SecurityGroupRule>($"SELECT {SecurityGroupRule.Columns} FROM securitygrouprules WHERE security_group_id IN @ids ORDER BY id", new { ids }))
                .ToLookup(r => r.SecurityGroupId);
        return [.. groups.Select(g => new Dictionary<string, object?>
        {
            ["id"] = g.Id,
            ["name"] = g.Name,
            ["description"] = g.Description,
            ["tenant_id"] = g.ProjectId,
            ["project_id"] = g.ProjectId,
            ["stateful"] = g.Stateful,
            ["shared"] = false,
            ["security_group_rules"] = rules[g.Id].Select(RuleView).ToList(),
            ["tags"] = Array.Empty<string>(),
            ["created_at"] = Json.Time(g.CreatedAt),
            ["updated_at"] = Json.Time(g.UpdatedAt),
            ["revision_number"] = g.RevisionNumber,
        })];
    }

    private static Dictionary<string, object?> RuleView(SecurityGroupRule r) => new()
    {
        ["id"] = r.Id,
        ["security_group_id"] = r.SecurityGroupId,
        ["tenant_id"] = r.ProjectId,
        ["project_id"] = r.ProjectId,
        ["direction"] = r.Direction,
        ["ethertype"] = r.Ethertype,
        ["protocol"] = r.Protocol,
        ["port_range_min"] = r.PortRangeMin,
        ["port_range_max"] = r.PortRangeMax,
        ["remote_ip_prefix"] = r.RemoteIpPrefix,
        ["remote_group_id"] = r.RemoteGroupId,
        ["remote_address_group_id"] = null,
        ["normalized_cidr"] = r.RemoteIpPrefix,
        ["description"] = r.Description,
        ["belongs_to_default_sg"] = null,
        ["tags"] = Array.Empty<string>(),
        ["created_at"] = Json.Time(r.CreatedAt),
        ["updated_at"] = Json.Time(r.UpdatedAt),
        ["revision_number"] = r.RevisionNumber,
    };
}
