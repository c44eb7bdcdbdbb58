using System.Globalization;
using System.Text.Json;
using ComputeApi.AvailabilityZones;
using ComputeApi.Common;
using Conductor.Contracts;
using Dapper;
using MySqlConnector;
using Platform.Data;
using Scheduler.Contracts.Placement;

namespace ComputeApi.Hypervisors;

/// <summary>
/// /os-hypervisors: the compute nodes placement knows, with their capacity and usage. Integer
/// ids before 2.53, provider uuids from 2.53; search and servers moved from paths to query
/// parameters at 2.53.
/// </summary>
public static class HypervisorsApi
{
    private const string Rule = "os_compute_api:os-hypervisors";

    public static void MapHypervisors(this RouteGroupBuilder v21)
    {
        v21.MapGet("/os-hypervisors", (HttpContext http, HypervisorSources s, NovaAuthz a) => ListAsync(http, s, a, detail: false));
        v21.MapGet("/os-hypervisors/detail", (HttpContext http, HypervisorSources s, NovaAuthz a) => ListAsync(http, s, a, detail: true));
        v21.MapGet("/os-hypervisors/statistics", StatisticsAsync);
        v21.MapGet("/os-hypervisors/{id}", ShowAsync);
        v21.MapGet("/os-hypervisors/{id}/uptime", UptimeAsync);
        v21.MapGet("/os-hypervisors/{pattern}/search", SearchAsync);
        v21.MapGet("/os-hypervisors/{pattern}/servers", ServersAsync);
    }

    private static async Task<IResult> ListAsync(HttpContext http, HypervisorSources sources, NovaAuthz authz, bool detail)
    {
        authz.Enforce(detail ? $"{Rule}:list-detail" : $"{Rule}:list");
        var version = http.Microversion();
        var query = http.Request.Query;
        string? pattern = null;
        var withServers = false;
        if (version.AtLeast(53))
        {
            pattern = query["hypervisor_hostname_pattern"].LastOrDefault();
            withServers = query.ContainsKey("with_servers") && ParseBool(query["with_servers"].LastOrDefault(), "with_servers");
            if (pattern is not null && (query.ContainsKey("limit") || query.ContainsKey("marker")))
                throw NovaErrors.BadRequest("Paging over hypervisors with the hypervisor_hostname_pattern query parameter is not supported.");
        }
        var nodes = await sources.NodesAsync();
        if (pattern is not null)
        {
            nodes = nodes.Where(n => Matches(n, pattern)).ToList();
            if (nodes.Count == 0) throw NovaErrors.NotFound($"No hypervisor matching '{pattern}' could be found.");
        }
        if (version.AtLeast(33))
        {
            if (query["marker"].LastOrDefault() is { } marker)
            {
                var at = nodes.FindIndex(n => Id(n.Node, version) == marker);
                if (at < 0) throw NovaErrors.BadRequest($"marker [{marker}] not found");
                nodes = nodes.Skip(at + 1).ToList();
            }
            if (RequestJson.QueryInt(http.Request, "limit") is { } limit) nodes = nodes.Take(limit).ToList();
        }
        var servers = withServers ? await sources.ServersAsync(nodes) : null;
        var views = nodes.Select(n => detail ? Detail(n, version, servers) : Summary(n, version, servers)).ToList();
        return Results.Json(new { hypervisors = views });
    }

    private static async Task<IResult> ShowAsync(string id, HttpContext http, HypervisorSources sources, NovaAuthz authz)
    {
        authz.Enforce($"{Rule}:show");
        var version = http.Microversion();
        var withServers = version.AtLeast(53) && http.Request.Query.ContainsKey("with_servers")
            && ParseBool(http.Request.Query["with_servers"].LastOrDefault(), "with_servers");
        var node = await FindAsync(sources, id, version);
        var servers = withServers ? await sources.ServersAsync([node]) : null;
        return Results.Json(new { hypervisor = Detail(node, version, servers) });
    }

    private static async Task<IResult> UptimeAsync(string id, HttpContext http, HypervisorSources sources, NovaAuthz authz)
    {
        authz.Enforce($"{Rule}:uptime");
        var version = http.Microversion();
        var node = await FindAsync(sources, id, version);
        var view = Summary(node, version, null);
        // The hosts do not report their uptime; answer it in uptime(1)'s shape from now.
        view["uptime"] = $" {DateTime.UtcNow:HH:mm:ss} up 0 min,  0 users,  load average: 0.00, 0.00, 0.00";
        return Results.Json(new { hypervisor = view });
    }

    private static async Task<IResult> StatisticsAsync(HttpContext http, HypervisorSources sources, NovaAuthz authz)
    {
        // nova dropped the statistics at 2.88.
        if (http.Microversion().AtLeast(88)) throw NovaErrors.NotFound("The resource could not be found.");
        authz.Enforce($"{Rule}:statistics");
        var nodes = await sources.NodesAsync();
        var usage = nodes.Select(n => Usage.Of(n.Node)).ToList();
        return Results.Json(new
        {
            hypervisor_statistics = new
            {
                count = nodes.Count,
                vcpus = usage.Sum(u => u.Vcpus),
                vcpus_used = usage.Sum(u => u.VcpusUsed),
                memory_mb = usage.Sum(u => u.MemoryMb),
                memory_mb_used = usage.Sum(u => u.MemoryMbUsed),
                local_gb = usage.Sum(u => u.LocalGb),
                local_gb_used = usage.Sum(u => u.LocalGbUsed),
                free_ram_mb = usage.Sum(u => u.MemoryMb - u.MemoryMbUsed),
                free_disk_gb = usage.Sum(u => u.LocalGb - u.LocalGbUsed),
                current_workload = 0,
                running_vms = nodes.Sum(n => n.Node.RunningVms),
                disk_available_least = usage.Sum(u => u.LocalGb - u.LocalGbUsed),
            },
        });
    }

    private static async Task<IResult> SearchAsync(string pattern, HttpContext http, HypervisorSources sources, NovaAuthz authz)
    {
        var version = http.Microversion();
        if (version.AtLeast(53)) throw NovaErrors.NotFound("The resource could not be found.");
        authz.Enforce($"{Rule}:search");
        var nodes = (await sources.NodesAsync()).Where(n => Matches(n, pattern)).ToList();
        if (nodes.Count == 0) throw NovaErrors.NotFound($"No hypervisor matching '{pattern}' could be found.");
        return Results.Json(new { hypervisors = nodes.Select(n => Summary(n, version, null)) });
    }

    private static async Task<IResult> ServersAsync(string pattern, HttpContext http, HypervisorSources sources, NovaAuthz authz)
    {
        var version = http.Microversion();
        if (version.AtLeast(53)) throw NovaErrors.NotFound("The resource could not be found.");
        authz.Enforce($"{Rule}:servers");
        var nodes = (await sources.NodesAsync()).Where(n => Matches(n, pattern)).ToList();
        if (nodes.Count == 0) throw NovaErrors.NotFound($"No hypervisor matching '{pattern}' could be found.");
        var servers = await sources.ServersAsync(nodes);
        return Results.Json(new { hypervisors = nodes.Select(n => Summary(n, version, servers)) });
    }

    private static async Task<Hypervisor> FindAsync(HypervisorSources sources, string id, ApiVersion version)
    {
        if (version.AtLeast(53) && !Guid.TryParse(id, out _)) throw NovaErrors.BadRequest($"Invalid uuid {id}");
        var nodes = await sources.NodesAsync();
        return nodes.FirstOrDefault(n => Id(n.Node, version) == id)
            ?? throw NovaErrors.NotFound($"Hypervisor with ID '{id}' could not be found.");
    }

    private static bool Matches(Hypervisor n, string pattern) => n.Node.HypervisorHostname.Contains(pattern, StringComparison.OrdinalIgnoreCase);

    private static string Id(ComputeNode n, ApiVersion version) => version.AtLeast(53) ? n.ProviderUuid : n.Id.ToString(CultureInfo.InvariantCulture);

    private static object IdValue(ComputeNode n, ApiVersion version) => version.AtLeast(53) ? n.ProviderUuid : n.Id;

    private static bool ParseBool(string? text, string name) => text?.ToLowerInvariant() switch
    {
        "true" or "1" or "yes" or "on" or "t" or "y" => true,
        "false" or "0" or "no" or "off" or "f" or "n" or "" => false,
        _ => throw NovaErrors.InvalidInput(name, text, $"'{text}' is not a valid boolean"),
    };

    private static Dictionary<string, object?> Summary(Hypervisor h, ApiVersion version, ILookup<string, (string Uuid, string Name)>? servers)
    {
        var n = h.Node;
        var view = new Dictionary<string, object?>
        {
            ["id"] = IdValue(n, version),
            ["hypervisor_hostname"] = n.HypervisorHostname,
            ["state"] = n.Up ? "up" : "down",
            ["status"] = n.Disabled ? "disabled" : "enabled",
        };
        if (servers is not null && servers[n.HypervisorHostname].Any())
            view["servers"] = servers[n.HypervisorHostname].Select(s => new { name = s.Name, uuid = s.Uuid }).ToList();
        return view;
    }

    private static Dictionary<string, object?> Detail(Hypervisor h, ApiVersion version, ILookup<string, (string Uuid, string Name)>? servers)
    {
        var n = h.Node;
        var u = Usage.Of(n);
        var view = Summary(h, version, null);
        view["vcpus"] = u.Vcpus;
        view["memory_mb"] = u.MemoryMb;
        view["local_gb"] = u.LocalGb;
        view["vcpus_used"] = u.VcpusUsed;
        view["memory_mb_used"] = u.MemoryMbUsed;
        view["local_gb_used"] = u.LocalGbUsed;
        view["hypervisor_type"] = n.HypervisorType;
        view["hypervisor_version"] = n.HypervisorVersion;
        view["free_ram_mb"] = u.MemoryMb - u.MemoryMbUsed;
        view["free_disk_gb"] = u.LocalGb - u.LocalGbUsed;
        view["current_workload"] = 0;
        view["running_vms"] = n.RunningVms;
        view["disk_available_least"] = u.LocalGb - u.LocalGbUsed;
        view["host_ip"] = n.HostIp;
        view["service"] = new Dictionary<string, object?>
        {
            ["host"] = n.Host,
            ["id"] = version.AtLeast(53) ? (object?)(h.Service?.Uuid ?? n.ProviderUuid) : h.Service?.Id ?? n.Id,
            ["disabled_reason"] = string.IsNullOrEmpty(n.DisabledReason) ? h.Service?.DisabledReason : n.DisabledReason,
        };
        view["cpu_info"] = version.AtLeast(28) ? CpuInfoObject(n.CpuInfo) : n.CpuInfo;
        if (servers is not null && servers[n.HypervisorHostname].Any())
            view["servers"] = servers[n.HypervisorHostname].Select(s => new { name = s.Name, uuid = s.Uuid }).ToList();
        return view;
    }

    private static object CpuInfoObject(string? cpuInfo)
    {
        if (string.IsNullOrWhiteSpace(cpuInfo)) return new Dictionary<string, object>();
        try
        {
            return JsonSerializer.Deserialize<JsonElement>(cpuInfo);
        }
        catch (JsonException)
        {
            return new Dictionary<string, object>();
        }
    }

    /// <summary>A node's capacity as nova's resource tracker counts it: totals before allocation ratios, the reserved amount counted as used for memory and disk.</summary>
    private sealed record Usage(long Vcpus, long VcpusUsed, long MemoryMb, long MemoryMbUsed, long LocalGb, long LocalGbUsed)
    {
        public static Usage Of(ComputeNode n)
        {
            Inventory? Inv(string rc) => n.Inventories.FirstOrDefault(i => i.ResourceClass == rc);
            long Used(string rc) => n.Used.TryGetValue(rc, out var v) ? v : 0;
            return new Usage(
                Inv("VCPU")?.Total ?? 0, Used("VCPU"),
                Inv("MEMORY_MB")?.Total ?? 0, Used("MEMORY_MB") + (Inv("MEMORY_MB")?.Reserved ?? 0),
                Inv("DISK_GB")?.Total ?? 0, Used("DISK_GB") + (Inv("DISK_GB")?.Reserved ?? 0));
        }
    }
}

/// <summary>A compute node with its compute service as the conductor knows it (null when the conductor did not answer).</summary>
public sealed record Hypervisor(ComputeNode Node, ComputeServiceInfo? Service);

/// <summary>Where os-hypervisors reads from: placement's compute nodes, the conductor's services and the read model's instances.</summary>
public sealed class HypervisorSources(HostZones zones, ConductorClient conductor, IDbConnectionFactory db, ILogger<HypervisorSources> logger)
{
    private static readonly TimeSpan ConductorWait = TimeSpan.FromSeconds(5);

    public async Task<List<Hypervisor>> NodesAsync()
    {
        var nodes = await zones.ComputeNodesAsync();
        IReadOnlyList<ComputeServiceInfo> services = [];
        try
        {
            using var wait = new CancellationTokenSource(ConductorWait);
            services = (await conductor.CallListComputeServicesAsync(new ListComputeServices(Binary: "nova-compute"), wait.Token)).Services;
        }
        catch (Exception e) when (e is OperationCanceledException or Platform.Messaging.RpcException)
        {
            logger.LogWarning("the conductor did not list compute services ({Error}); hypervisors show placement's view only", e.Message);
        }
        var byHost = services.GroupBy(s => s.Host).ToDictionary(g => g.Key, g => g.First());
        return nodes.OrderBy(n => n.Id).Select(n => new Hypervisor(n, byHost.GetValueOrDefault(n.Host))).ToList();
    }

    /// <summary>The live servers on <paramref name="nodes"/>, by hypervisor hostname, from the read model.</summary>
    public async Task<ILookup<string, (string Uuid, string Name)>> ServersAsync(IReadOnlyList<Hypervisor> nodes)
    {
        var names = nodes.Select(n => n.Node.HypervisorHostname).Distinct().ToList();
        if (names.Count == 0) return Array.Empty<(string, string, string)>().ToLookup(x => x.Item1, x => (x.Item2, x.Item3));
        await using var c = await db.OpenAsync();
        try
        {
            // LOWER: a CHAR(36) column would be read back as a Guid.
            var rows = await c.QueryAsync<(string Node, string Uuid, string Name)>("""
                SELECT node, LOWER(uuid) AS uuid, display_name FROM instances WHERE node IN @names AND NOT deleted ORDER BY created_at, uuid
                """, new { names });
            return rows.ToLookup(r => r.Node, r => (r.Uuid, r.Name ?? ""));
        }
        catch (MySqlException e) when (e.ErrorCode is MySqlErrorCode.NoSuchTable or MySqlErrorCode.BadFieldError)
        {
            logger.LogWarning("the instances read model is not readable yet: {Error}", e.Message);
            return Array.Empty<(string, string, string)>().ToLookup(x => x.Item1, x => (x.Item2, x.Item3));
        }
    }
}
