using System.Data.Common;
using System.Net;
using Dapper;
using NetworkServer.Common;
using NetworkServer.Db;
using NetworkServer.Ipam;
using NetworkServer.Quotas;
using Platform.Data;

namespace NetworkServer.Subnets;

/// <summary>/v2.0/subnetpools: pools of prefixes that subnets are carved from, never two overlapping.</summary>
public static class SubnetPoolsApi
{
    private static readonly string[] Writable =
        ["name", "description", "prefixes", "default_prefixlen", "min_prefixlen", "max_prefixlen", "shared", "is_default", "default_quota",
         "address_scope_id", "project_id", "tenant_id"];

    private static readonly Dictionary<string, string> FilterColumns = new()
    {
        ["id"] = "id", ["name"] = "name", ["project_id"] = "project_id", ["tenant_id"] = "project_id", ["ip_version"] = "ip_version",
        ["shared"] = "shared", ["is_default"] = "is_default",
    };

    public static void MapSubnetPools(this IEndpointRouteBuilder v2)
    {
        v2.MapPost("/subnetpools", CreateAsync);
        v2.MapGet("/subnetpools", ListAsync);
        v2.MapGet("/subnetpools/{id}", ShowAsync);
        v2.MapPut("/subnetpools/{id}", UpdateAsync);
        v2.MapDelete("/subnetpools/{id}", DeleteAsync);
    }

    private static Dictionary<string, object?> Target(SubnetPool p) => NeutronAuthz.Target(p.ProjectId, p.Shared);

    private static async Task<SubnetPool> FindVisibleAsync(DbConnection c, NeutronAuthz authz, string id, DbTransaction? tx = null, bool forUpdate = false)
    {
        var pool = await RowLookup.ByIdAsync<SubnetPool>(c, "subnetpools", SubnetPool.Columns, id, tx, forUpdate);
        if (pool is null || !authz.Allows("get_subnetpool", Target(pool))) throw NeutronErrors.NotFound("subnetpool", id);
        return pool;
    }

    /// <summary>
    /// A prefix for a new subnet from the pool: the one asked for (it must lie in the pool and
    /// overlap no other subnet of it), or the first free one of <paramref name="prefixlen"/>. The
    /// pool row is locked, so two subnets cannot take the same prefix.
    /// </summary>
    public static async Task<IPNetwork> AllocatePrefixAsync(DbTransaction tx, NeutronAuthz authz, string poolId, int ipVersion, string? cidr, int? prefixlen)
    {
        var c = tx.Connection!;
        var pool = await FindVisibleAsync(c, authz, poolId, tx, forUpdate: true);
        if (pool.IpVersion != ipVersion) throw NeutronErrors.InvalidInput($"Cannot allocate IPv{ipVersion} subnet from IPv{pool.IpVersion} subnet pool");
        var prefixes = Json.Read<List<string>>(pool.Prefixes).Select(p => IPNetwork.Parse(p)).ToList();
        var used = (await c.QueryAsync<string>("SELECT cidr FROM subnets WHERE subnetpool_id = @poolId", new { poolId }, tx)).Select(s => IPNetwork.Parse(s)).ToList();
        if (cidr is not null)
        {
            var asked = IpAddressing.ParseCidr(cidr);
            if (!prefixes.Any(p => p.Contains(asked.BaseAddress) && p.PrefixLength <= asked.PrefixLength))
                throw NeutronErrors.Conflict("SubnetAllocationError", $"Failed to allocate subnet: Cannot allocate requested subnet from the available set of prefixes.");
            if (used.Any(u => IpAddressing.Overlap(u, asked)))
                throw NeutronErrors.Conflict("SubnetAllocationError", $"Failed to allocate subnet: Cannot allocate requested subnet from the available set of prefixes.");
            return asked;
        }
        var length = prefixlen ?? pool.DefaultPrefixlen;
        if (length < pool.MinPrefixlen || length > pool.MaxPrefixlen)
            throw NeutronErrors.BadRequest("IllegalSubnetPoolPrefixLength", $"Illegal prefix bounds: prefixlen={length}, min_prefixlen={pool.MinPrefixlen}, max_prefixlen={pool.MaxPrefixlen}.");
        foreach (var prefix in prefixes.Where(p => p.PrefixLength <= length))
        {
            var (first, last) = IpAddressing.Bounds(prefix);
            var bits = prefix.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128;
            var step = UInt128.One << (bits - length);
            for (var n = first; n <= last && n >= first; n += step)
            {
                var candidate = new IPNetwork(IpAddressing.FromNumber(n, prefix.BaseAddress.AddressFamily), length);
                var clash = used.FirstOrDefault(u => IpAddressing.Overlap(u, candidate));
                if (clash == default) return candidate;
                // Jump past the subnet in the way.
                var (_, clashLast) = IpAddressing.Bounds(clash);
                if (clashLast >= n + step) n = clashLast + 1 - step;
            }
        }
        throw NeutronErrors.Conflict("SubnetAllocationError", "Failed to allocate subnet: Insufficient prefix space to allocate subnet size /" + length + ".");
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, IDbConnectionFactory db, NeutronAuthz authz, QuotaEngine quotas, TimeProvider time)
    {
        var body = await NeutronBody.ReadAsync(request, "subnetpool", Writable);
        var owner = authz.OwnerFor(body);
        var shared = body.Bool("shared") ?? false;
        authz.Enforce("create_subnetpool", NeutronAuthz.Target(owner, shared));
        if (body.Has("shared")) authz.Enforce("create_subnetpool:shared", NeutronAuthz.Target(owner, shared));
        if (body.Has("is_default")) authz.Enforce("create_subnetpool:is_default", NeutronAuthz.Target(owner, shared));
        var prefixes = (body.Strings("prefixes") ?? throw NeutronErrors.BadRequest("HTTPBadRequest", "Failed to parse request. Required attribute 'prefixes' not specified"))
            .Select(p => IpAddressing.ParseCidr(p, "prefixes")).ToList();
        if (prefixes.Count == 0 || prefixes.Select(p => p.BaseAddress.AddressFamily).Distinct().Count() > 1)
            throw NeutronErrors.InvalidInput("Prefixes must be of one IP version and at least one");
        for (var i = 0; i < prefixes.Count; i++)
            for (var j = i + 1; j < prefixes.Count; j++)
                if (IpAddressing.Overlap(prefixes[i], prefixes[j])) throw NeutronErrors.InvalidInput($"Prefixes {prefixes[i]} and {prefixes[j]} overlap");
        var version = IpAddressing.Version(prefixes[0].BaseAddress);
        var maxBits = version == 4 ? 32 : 128;
        var min = body.Int("min_prefixlen") ?? (version == 4 ? 8 : 64);
        var max = body.Int("max_prefixlen") ?? maxBits;
        var dflt = body.Int("default_prefixlen") ?? min;
        if (min < 0 || max > maxBits || min > max || dflt < min || dflt > max)
            throw NeutronErrors.BadRequest("IllegalSubnetPoolPrefixBounds", $"Illegal prefix bounds: prefix_type=default_prefixlen, prefixlen={dflt}, base_prefix_type=min_prefixlen, base_prefixlen={min}.");
        var now = time.GetUtcNow().UtcDateTime;
        var pool = new SubnetPool(Guid.NewGuid().ToString(), owner, body.String("name") ?? "", body.String("description") ?? "", version,
            Json.Write(prefixes.Select(p => p.ToString()).ToList()), dflt, min, max, shared, body.Bool("is_default") ?? false, body.Int("default_quota"), now, now, 1);
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        await quotas.CheckAsync(tx, "subnetpool", owner, 1);
        await c.ExecuteAsync($"""
            INSERT INTO subnetpools ({SubnetPool.Columns}) VALUES (@Id, @ProjectId, @Name, @Description, @IpVersion, @Prefixes, @DefaultPrefixlen,
              @MinPrefixlen, @MaxPrefixlen, @Shared, @IsDefault, @DefaultQuota, @CreatedAt, @UpdatedAt, @RevisionNumber)
            """, pool, tx);
        await tx.CommitAsync();
        return Results.Json(new { subnetpool = View(pool) }, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> ListAsync(HttpRequest request, IDbConnectionFactory db, NeutronAuthz authz)
    {
        var (where, args) = NeutronList.Where(request, authz, "(project_id = @project OR shared)", FilterColumns);
        await using var c = await db.OpenAsync();
        var pools = await c.QueryAsync<SubnetPool>($"SELECT {SubnetPool.Columns} FROM subnetpools WHERE {where} ORDER BY id", args);
        return Results.Json(NeutronList.Shape(request, "subnetpools", pools.Select(View)));
    }

    private static async Task<IResult> ShowAsync(string id, HttpRequest request, IDbConnectionFactory db, NeutronAuthz authz)
    {
        await using var c = await db.OpenAsync();
        return Results.Json(new { subnetpool = NeutronList.Single(request, View(await FindVisibleAsync(c, authz, id))) });
    }

    private static async Task<IResult> UpdateAsync(string id, HttpRequest request, IDbConnectionFactory db, NeutronAuthz authz, TimeProvider time)
    {
        var body = await NeutronBody.ReadAsync(request, "subnetpool", ["name", "description", "default_prefixlen", "min_prefixlen", "max_prefixlen", "default_quota", "is_default"]);
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        var pool = await FindVisibleAsync(c, authz, id, tx, forUpdate: true);
        authz.Enforce("update_subnetpool", Target(pool));
        var updated = pool with
        {
            Name = body.String("name") ?? pool.Name,
            Description = body.String("description") ?? pool.Description,
            DefaultPrefixlen = body.Int("default_prefixlen") ?? pool.DefaultPrefixlen,
            MinPrefixlen = body.Int("min_prefixlen") ?? pool.MinPrefixlen,
            MaxPrefixlen = body.Int("max_prefixlen") ?? pool.MaxPrefixlen,
            DefaultQuota = body.Int("default_quota") ?? pool.DefaultQuota,
            UpdatedAt = time.GetUtcNow().UtcDateTime,
            RevisionNumber = pool.RevisionNumber + 1,
        };
        if (updated.MinPrefixlen > updated.DefaultPrefixlen || updated.DefaultPrefixlen > updated.MaxPrefixlen)
            throw NeutronErrors.BadRequest("IllegalSubnetPoolPrefixBounds", "Illegal prefix bounds: min_prefixlen <= default_prefixlen <= max_prefixlen must hold.");
        await c.ExecuteAsync("""
            UPDATE subnetpools SET name = @Name, description = @Description, default_prefixlen = @DefaultPrefixlen, min_prefixlen = @MinPrefixlen,
              max_prefixlen = @MaxPrefixlen, default_quota = @DefaultQuota, updated_at = @UpdatedAt, revision_number = @RevisionNumber WHERE id = @Id
            """, updated, tx);
        await tx.CommitAsync();
        return Results.Json(new { subnetpool = View(updated) });
    }

    private static async Task<IResult> DeleteAsync(string id, IDbConnectionFactory db, NeutronAuthz authz)
    {
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        var pool = await FindVisibleAsync(c, authz, id, tx, forUpdate: true);
        authz.Enforce("delete_subnetpool", Target(pool));
        if (await c.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM subnets WHERE subnetpool_id = @id", new { id = pool.Id }, tx) > 0)
            throw NeutronErrors.Conflict("SubnetPoolInUse", $"Unable to complete operation on subnet pool {pool.Id}. Subnet pool has subnets allocated from it.");
        await c.ExecuteAsync("DELETE FROM subnetpools WHERE id = @id", new { id = pool.Id }, tx);
        await tx.CommitAsync();
        return Results.NoContent();
    }

    private static Dictionary<string, object?> View(SubnetPool p) => new()
    {
        ["id"] = p.Id,
        ["name"] = p.Name,
        ["description"] = p.Description,
        ["tenant_id"] = p.ProjectId,
        ["project_id"] = p.ProjectId,
        ["ip_version"] = p.IpVersion,
        ["prefixes"] = Json.Read<List<string>>(p.Prefixes),
        ["default_prefixlen"] = p.DefaultPrefixlen,
        ["min_prefixlen"] = p.MinPrefixlen,
        ["max_prefixlen"] = p.MaxPrefixlen,
        ["shared"] = p.Shared,
        ["is_default"] = p.IsDefault,
        ["default_quota"] = p.DefaultQuota,
        ["address_scope_id"] = null,
        ["tags"] = Array.Empty<string>(),
        ["created_at"] = Json.Time(p.CreatedAt),
        ["updated_at"] = Json.Time(p.UpdatedAt),
        ["revision_number"] = p.RevisionNumber,
    };
}
