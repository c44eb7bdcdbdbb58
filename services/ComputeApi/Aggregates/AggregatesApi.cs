using System.Data.Common;
using System.Globalization;
using System.Text.Json.Nodes;
using ComputeApi.AvailabilityZones;
using ComputeApi.Common;
using Dapper;
using MySqlConnector;
using Platform.Data;

namespace ComputeApi.Aggregates;

/// <summary>
/// /os-aggregates: host aggregates, their hosts and metadata; an aggregate with an
/// availability_zone puts its hosts in that zone. Every change is pushed to placement after commit.
/// </summary>
public static class AggregatesApi
{
    private const string Rule = "os_compute_api:os-aggregates";
    private const string ZoneKey = "availability_zone";

    public static void MapAggregates(this RouteGroupBuilder v21)
    {
        v21.MapGet("/os-aggregates", ListAsync);
        v21.MapPost("/os-aggregates", CreateAsync);
        v21.MapGet("/os-aggregates/{id}", ShowAsync);
        v21.MapPut("/os-aggregates/{id}", UpdateAsync);
        v21.MapDelete("/os-aggregates/{id}", DeleteAsync);
        v21.MapPost("/os-aggregates/{id}/action", ActionAsync);
    }

    private static async Task<IResult> ListAsync(HttpContext http, IDbConnectionFactory db, NovaAuthz authz)
    {
        authz.Enforce($"{Rule}:index");
        await using var c = await db.OpenAsync();
        var all = await Aggregate.LoadAllAsync(c);
        var uuid = http.Microversion().AtLeast(41);
        return Results.Json(new { aggregates = all.Select(a => a.View(uuid)) });
    }

    private static async Task<IResult> ShowAsync(string id, HttpContext http, IDbConnectionFactory db, NovaAuthz authz)
    {
        authz.Enforce($"{Rule}:show");
        var number = ParseId(id);
        await using var c = await db.OpenAsync();
        var aggregate = await Aggregate.LoadAsync(c, null, number) ?? throw NotFound(id);
        return Results.Json(new { aggregate = aggregate.View(http.Microversion().AtLeast(41)) });
    }

    private static async Task<IResult> CreateAsync(HttpContext http, IDbConnectionFactory db, NovaAuthz authz, HostZones zones, AggregatePusher pusher, TimeProvider time)
    {
        authz.Enforce($"{Rule}:create");
        var body = await RequestJson.ReadAsync(http.Request, "aggregate");
        RequestJson.OnlyAllowed(body, "aggregate", "name", ZoneKey);
        var name = RequestJson.Name(body, "name", required: true)!;
        var zone = ZoneName(body, zones);
        var now = time.GetUtcNow().UtcDateTime;
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        int id;
        try
        {
            id = await c.ExecuteScalarAsync<int>("""
                INSERT INTO aggregates (uuid, name, live_name, availability_zone, created_at, updated_at, deleted_at, deleted, changed_at, pushed_at)
                VALUES (@uuid, @name, @name, @zone, @now, NULL, NULL, FALSE, @now, NULL);
                SELECT LAST_INSERT_ID();
                """, new { uuid = Guid.NewGuid().ToString(), name, zone, now }, tx);
        }
        catch (MySqlException e) when (e.IsDuplicateKey())
        {
            throw NovaErrors.Conflict($"Aggregate {name} already exists.");
        }
        var aggregate = (await Aggregate.LoadAsync(c, tx, id))!;
        await tx.CommitAsync();
        await pusher.PushPendingAsync();
        // nova's create answers without hosts and metadata.
        return Results.Json(new { aggregate = aggregate.View(http.Microversion().AtLeast(41), withHostsAndMetadata: false) });
    }

    private static async Task<IResult> UpdateAsync(string id, HttpContext http, IDbConnectionFactory db, NovaAuthz authz, HostZones zones, AggregatePusher pusher, TimeProvider time)
    {
        authz.Enforce($"{Rule}:update");
        var number = ParseId(id);
        var body = await RequestJson.ReadAsync(http.Request, "aggregate");
        RequestJson.OnlyAllowed(body, "aggregate", "name", ZoneKey);
        if (body.Count == 0) throw NovaErrors.InvalidInput("aggregate", "{}", "{} does not have enough properties");
        var name = RequestJson.Name(body, "name", required: false);
        var zoneGiven = body.ContainsKey(ZoneKey);
        var zone = ZoneName(body, zones);
        var aggregate = await ChangeAsync(db, number, id, time, async (c, tx, current) =>
        {
            if (zoneGiven) await CheckZoneChangeAsync(c, tx, current, zone, reason => NovaErrors.BadRequest($"Cannot update aggregate {current.Id}. Reason: {reason}."));
            try
            {
                await c.ExecuteAsync("""
                    UPDATE aggregates SET name = @name, live_name = @name, availability_zone = @zone WHERE id = @id
                    """, new { id = current.Id, name = name ?? current.Name, zone = zoneGiven ? zone : current.AvailabilityZone }, tx);
            }
            catch (MySqlException e) when (e.IsDuplicateKey())
            {
                throw NovaErrors.Conflict($"Aggregate {name} already exists.");
            }
        });
        await pusher.PushPendingAsync();
        return Results.Json(new { aggregate = aggregate.View(http.Microversion().AtLeast(41)) });
    }

    private static async Task<IResult> DeleteAsync(string id, IDbConnectionFactory db, NovaAuthz authz, AggregatePusher pusher, TimeProvider time)
    {
        authz.Enforce($"{Rule}:delete");
        var number = ParseId(id);
        await using (var c = await db.OpenAsync())
        await using (var tx = await c.BeginTransactionAsync())
        {
            var aggregate = await Aggregate.LoadAsync(c, tx, number, forUpdate: true) ?? throw NotFound(id);
            if (aggregate.Hosts.Count > 0)
                throw NovaErrors.BadRequest($"Cannot remove aggregate {aggregate.Id}. Reason: Host aggregate is not empty.");
            var now = time.GetUtcNow().UtcDateTime;
            await c.ExecuteAsync("""
                UPDATE aggregates SET deleted = TRUE, deleted_at = @now, live_name = NULL, changed_at = @now WHERE id = @id
                """, new { id = aggregate.Id, now }, tx);
            await tx.CommitAsync();
        }
        await pusher.PushPendingAsync();
        return Results.Ok();
    }

    private static async Task<IResult> ActionAsync(string id, HttpContext http, IDbConnectionFactory db, NovaAuthz authz, HostZones zones, AggregatePusher pusher, TimeProvider time)
    {
        var number = ParseId(id);
        var body = await RequestJson.ReadBodyAsync(http.Request);
        if (body.Count != 1) throw NovaErrors.BadRequest("There is either no action or more than one action in the request body.");
        var (action, node) = body.First();
        if (node is not JsonObject args) throw NovaErrors.InvalidInput(action, RequestJson.Text(node), $"{RequestJson.Text(node)} is not of type 'object'");
        Aggregate aggregate;
        switch (action)
        {
            case "add_host":
            {
                authz.Enforce($"{Rule}:add_host");
                RequestJson.OnlyAllowed(args, action, "host");
                var host = RequestJson.Name(args, "host", required: true)!;
                await RequireComputeHostAsync(zones, host, () => NovaErrors.NotFound($"Compute host {host} could not be found."));
                aggregate = await ChangeAsync(db, number, id, time, async (c, tx, current) =>
                {
                    if (current.Hosts.Contains(host)) throw NovaErrors.Conflict($"Aggregate {current.Id} already has host {host}.");
                    if (!string.IsNullOrEmpty(current.AvailabilityZone))
                    {
                        var others = await OtherZonesAsync(c, tx, [host], current.Id);
                        var clash = others.Where(z => z != current.AvailabilityZone).Distinct().ToList();
                        if (clash.Count > 0)
                            throw NovaErrors.Conflict($"Cannot add host to aggregate {current.Id}. Reason: One or more hosts already in availability zone(s) {PythonList(clash)}.");
                    }
                    await c.ExecuteAsync("INSERT INTO aggregate_hosts (aggregate_id, host, created_at) VALUES (@id, @host, UTC_TIMESTAMP(6))", new { id = current.Id, host }, tx);
                });
                break;
            }
            case "remove_host":
            {
                authz.Enforce($"{Rule}:remove_host");
                RequestJson.OnlyAllowed(args, action, "host");
                var host = RequestJson.Name(args, "host", required: true)!;
                var notFound = NovaErrors.NotFound($"Cannot remove host {host} in aggregate {id}");
                await RequireComputeHostAsync(zones, host, () => notFound);
                aggregate = await ChangeAsync(db, number, id, time, async (c, tx, current) =>
                {
                    if (!current.Hosts.Contains(host)) throw notFound;
                    await c.ExecuteAsync("DELETE FROM aggregate_hosts WHERE aggregate_id = @id AND host = @host", new { id = current.Id, host }, tx);
                }, notFound);
                break;
            }
            case "set_metadata":
            {
                authz.Enforce($"{Rule}:set_metadata");
                RequestJson.OnlyAllowed(args, action, "metadata");
                if (!args.TryGetPropertyValue("metadata", out var m)) throw NovaErrors.InvalidInput(action, RequestJson.Text(args), "'metadata' is a required property");
                if (m is not JsonObject metadata) throw NovaErrors.InvalidInput("metadata", RequestJson.Text(m), $"{RequestJson.Text(m)} is not of type 'object'");
                var changes = new Dictionary<string, string?>();
                foreach (var (key, value) in metadata)
                {
                    if (key.Length is 0 or > 255) throw NovaErrors.InvalidInput("metadata", RequestJson.Text(metadata), $"'{key}' does not match any of the regexes");
                    if (value is null) changes[key] = null;
                    else if (value is JsonValue v && v.TryGetValue<string>(out var s) && s.Length <= 255) changes[key] = s;
                    else throw NovaErrors.InvalidInput($"metadata/{key}", RequestJson.Text(value), $"{RequestJson.Text(value)} is not valid under any of the given schemas");
                }
                if (changes.TryGetValue(ZoneKey, out var asked) && asked is not null) CheckZoneName(asked, zones);
                aggregate = await ChangeAsync(db, number, id, time, async (c, tx, current) =>
                {
                    if (changes.TryGetValue(ZoneKey, out var zone))
                    {
                        await CheckZoneChangeAsync(c, tx, current, zone, reason => NovaErrors.BadRequest($"Cannot update metadata of aggregate {current.Id}. Reason: {reason}."));
                        await c.ExecuteAsync("UPDATE aggregates SET availability_zone = @zone WHERE id = @id", new { id = current.Id, zone }, tx);
                    }
                    foreach (var (key, value) in changes.Where(kv => kv.Key != ZoneKey))
                        if (value is null)
                            await c.ExecuteAsync("DELETE FROM aggregate_metadata WHERE aggregate_id = @id AND `key` = @key", new { id = current.Id, key }, tx);
                        else
                            await c.ExecuteAsync("""
                                INSERT INTO aggregate_metadata (aggregate_id, `key`, value, created_at) VALUES (@id, @key, @value, UTC_TIMESTAMP(6))
                                ON DUPLICATE KEY UPDATE value = @value
                                """, new { id = current.Id, key, value }, tx);
                });
                break;
            }
            default:
                throw NovaErrors.BadRequest($"There is no such action: {action}");
        }
        await pusher.PushPendingAsync();
        return Results.Json(new { aggregate = aggregate.View(http.Microversion().AtLeast(41)) });
    }

    /// <summary>
    /// Runs <paramref name="change"/> on the locked aggregate and stamps it changed, under a lock
    /// that serialises aggregate changes (zone rules span aggregates). Answers the aggregate after.
    /// </summary>
    private static async Task<Aggregate> ChangeAsync(IDbConnectionFactory db, int number, string id, TimeProvider time,
        Func<DbConnection, DbTransaction, Aggregate, Task> change, Exception? notFound = null)
    {
        await using var c = await db.OpenAsync();
        if (await c.ExecuteScalarAsync<long?>("SELECT GET_LOCK('compute_api.aggregates', 30)") != 1)
            throw NovaErrors.Conflict("Aggregates are being changed by another request; try again.");
        try
        {
            await using var tx = await c.BeginTransactionAsync();
            var current = await Aggregate.LoadAsync(c, tx, number, forUpdate: true) ?? throw notFound ?? NotFound(id);
            await change(c, tx, current);
            var now = time.GetUtcNow().UtcDateTime;
            await c.ExecuteAsync("UPDATE aggregates SET updated_at = @now, changed_at = @now WHERE id = @id", new { id = current.Id, now }, tx);
            var after = (await Aggregate.LoadAsync(c, tx, current.Id))!;
            await tx.CommitAsync();
            return after;
        }
        finally
        {
            await c.ExecuteScalarAsync<long?>("SELECT RELEASE_LOCK('compute_api.aggregates')");
        }
    }

    /// <summary>nova's is_safe_to_update_az: the aggregate's hosts must not be in another aggregate with a different zone.</summary>
    private static async Task CheckZoneChangeAsync(DbConnection c, DbTransaction tx, Aggregate current, string? zone, Func<string, Exception> refuse)
    {
        if (string.IsNullOrEmpty(zone) || current.Hosts.Count == 0) return;
        var clash = (await OtherZonesAsync(c, tx, current.Hosts, current.Id)).Where(z => z != zone).Distinct().ToList();
        if (clash.Count > 0) throw refuse($"One or more hosts already in availability zone(s) {PythonList(clash)}");
    }

    private static async Task<List<string>> OtherZonesAsync(DbConnection c, DbTransaction tx, IReadOnlyList<string> hosts, int exceptAggregate) =>
        (await c.QueryAsync<string>("""
            SELECT DISTINCT a.availability_zone FROM aggregate_hosts h JOIN aggregates a ON a.id = h.aggregate_id
            WHERE h.host IN @hosts AND a.id <> @exceptAggregate AND NOT a.deleted AND a.availability_zone IS NOT NULL AND a.availability_zone <> ''
            """, new { hosts, exceptAggregate }, tx)).ToList();

    private static async Task RequireComputeHostAsync(HostZones zones, string host, Func<Exception> notFound)
    {
        var nodes = await zones.ComputeNodesAsync(host);
        if (!nodes.Any(n => n.Host == host)) throw notFound();
    }

    private static string? ZoneName(JsonObject body, HostZones zones)
    {
        var zone = RequestJson.String(body, ZoneKey, nullable: true);
        if (zone is null) return null;
        if (zone.Length == 0) throw NovaErrors.InvalidInput(ZoneKey, zone, $"'{zone}' is too short");
        CheckZoneName(zone.Trim(), zones);
        return zone.Trim();
    }

    private static void CheckZoneName(string zone, HostZones zones)
    {
        if (zone == zones.InternalZone)
            throw NovaErrors.BadRequest($"Invalid availability zone name: the zone {zone} is reserved for internal services.");
        if (zone.Contains(':')) throw NovaErrors.InvalidInput(ZoneKey, zone, $"'{zone}' does not match '^[^:]*$'");
    }

    // A name where an id belongs is simply not found: clients (openstacksdk's find) then look the name up in the list.
    private static int ParseId(string id) =>
        int.TryParse(id, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : throw NotFound(id);

    private static Exception NotFound(string id) => NovaErrors.NotFound($"Aggregate {id} could not be found.");

    private static string PythonList(IEnumerable<string> items) => "[" + string.Join(", ", items.Select(i => $"'{i}'")) + "]";
}
