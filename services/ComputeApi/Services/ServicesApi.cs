using System.Globalization;
using ComputeApi.AvailabilityZones;
using ComputeApi.Common;
using Conductor.Contracts;
using Platform.Data;

namespace ComputeApi.Services;

/// <summary>
/// /os-services: the compute services the conductor knows. Before 2.53 services are named by
/// integer id and changed through PUT /os-services/{disable,enable,disable-log-reason,force-down}
/// with host and binary; from 2.53 by uuid, with PUT /os-services/{uuid}.
/// </summary>
public static class ServicesApi
{
    private const string Rule = "os_compute_api:os-services";

    public static void MapServices(this RouteGroupBuilder v21)
    {
        v21.MapGet("/os-services", ListAsync);
        v21.MapPut("/os-services/{id}", UpdateAsync);
        v21.MapDelete("/os-services/{id}", DeleteAsync);
    }

    private static async Task<IResult> ListAsync(HttpContext http, ConductorClient conductor, NovaAuthz authz, HostZones zones, IDbConnectionFactory db)
    {
        authz.Enforce($"{Rule}:list");
        var host = http.Request.Query["host"].LastOrDefault();
        var binary = http.Request.Query["binary"].LastOrDefault();
        var reply = await Conductor(() => conductor.CallListComputeServicesAsync(new ListComputeServices(host, binary)));
        var aggregateZones = await AggregateZonesAsync(db);
        var version = http.Microversion();
        return Results.Json(new { services = reply.Services.Select(s => View(s, version, zones, aggregateZones)) });
    }

    private static async Task<IResult> UpdateAsync(string id, HttpContext http, ConductorClient conductor, NovaAuthz authz, HostZones zones, IDbConnectionFactory db)
    {
        authz.Enforce($"{Rule}:update");
        var version = http.Microversion();
        if (version.AtLeast(53)) return await UpdateByUuidAsync(id, http, conductor, zones, db, version);
        var body = await RequestJson.ReadBodyAsync(http.Request);
        switch (id)
        {
            case "enable":
            case "disable":
            {
                RequestJson.OnlyAllowed(body, "body", "host", "binary");
                var (host, binary) = HostAndBinary(body);
                await ChangeAsync(conductor, new UpdateComputeService { Host = host, Binary = binary, Disabled = id == "disable", DisabledReason = id == "enable" ? "" : null });
                return Results.Json(new { service = new { host, binary, status = id == "disable" ? "disabled" : "enabled" } });
            }
            case "disable-log-reason":
            {
                RequestJson.OnlyAllowed(body, "body", "host", "binary", "disabled_reason");
                var (host, binary) = HostAndBinary(body);
                var reason = RequestJson.String(body, "disabled_reason", maxLength: int.MaxValue)
                    ?? throw NovaErrors.BadRequest("Missing disabled reason field");
                CheckReason(reason);
                await ChangeAsync(conductor, new UpdateComputeService { Host = host, Binary = binary, Disabled = true, DisabledReason = reason });
                return Results.Json(new { service = new { host, binary, status = "disabled", disabled_reason = reason } });
            }
            case "force-down" when version.AtLeast(11):
            {
                RequestJson.OnlyAllowed(body, "body", "host", "binary", "forced_down");
                var (host, binary) = HostAndBinary(body);
                var forcedDown = RequestJson.Bool(body, "forced_down")
                    ?? throw NovaErrors.InvalidInput("body", RequestJson.Text(body), "'forced_down' is a required property");
                await ChangeAsync(conductor, new UpdateComputeService { Host = host, Binary = binary, ForcedDown = forcedDown });
                return Results.Json(new { service = new { host, binary, forced_down = forcedDown } });
            }
            default:
                throw NovaErrors.NotFound("Unknown action");
        }
    }

    private static async Task<IResult> UpdateByUuidAsync(string id, HttpContext http, ConductorClient conductor, HostZones zones, IDbConnectionFactory db, ApiVersion version)
    {
        if (!Guid.TryParse(id, out _)) throw NovaErrors.BadRequest($"Invalid uuid {id}");
        var body = await RequestJson.ReadBodyAsync(http.Request);
        RequestJson.OnlyAllowed(body, "body", "status", "disabled_reason", "forced_down");
        var status = RequestJson.String(body, "status");
        if (status is not null and not ("enabled" or "disabled"))
            throw NovaErrors.InvalidInput("status", status, $"'{status}' is not one of ['enabled', 'disabled']");
        var reason = RequestJson.String(body, "disabled_reason", maxLength: int.MaxValue);
        var forcedDown = RequestJson.Bool(body, "forced_down");
        if (status is null && forcedDown is null)
            throw NovaErrors.BadRequest("At least one of 'status' or 'forced_down' must be specified in the request body.");
        if (reason is not null)
        {
            if (status != "disabled") throw NovaErrors.BadRequest("Specifying 'disabled_reason' with status 'enabled' is invalid.");
            CheckReason(reason);
        }
        var reply = await Conductor(() => conductor.CallUpdateComputeServiceAsync(new UpdateComputeService
        {
            Uuid = id,
            Disabled = status is null ? null : status == "disabled",
            // Enabling clears the reason, as nova does.
            DisabledReason = status == "enabled" ? "" : reason,
            ForcedDown = forcedDown,
        }));
        var service = reply.Service ?? throw NovaErrors.NotFound($"Service {id} could not be found.");
        var aggregateZones = await AggregateZonesAsync(db);
        return Results.Json(new { service = View(service, version, zones, aggregateZones) });
    }

    private static async Task<IResult> DeleteAsync(string id, HttpContext http, ConductorClient conductor, NovaAuthz authz)
    {
        authz.Enforce($"{Rule}:delete");
        var version = http.Microversion();
        string uuid;
        if (version.AtLeast(53))
        {
            if (!Guid.TryParse(id, out _)) throw NovaErrors.BadRequest($"Invalid uuid {id}");
            uuid = id;
        }
        else
        {
            if (!int.TryParse(id, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number))
                throw NovaErrors.BadRequest($"Invalid ID {id}");
            var all = await Conductor(() => conductor.CallListComputeServicesAsync(new ListComputeServices()));
            uuid = all.Services.FirstOrDefault(s => s.Id == number)?.Uuid ?? throw NovaErrors.NotFound($"Service {id} could not be found.");
        }
        var reply = await Conductor(() => conductor.CallDeleteComputeServiceAsync(uuid));
        if (reply.ConflictMessage is { } conflict) throw NovaErrors.Conflict(conflict);
        if (!reply.Deleted) throw NovaErrors.NotFound($"Service {id} could not be found.");
        return Results.NoContent();
    }

    /// <summary>A conductor call; a conductor that does not answer is the service being unavailable (503), not a fault of this API.</summary>
    private static async Task<T> Conductor<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (Platform.Messaging.RpcTimeoutException e)
        {
            throw new Platform.Hosting.ApiException(System.Net.HttpStatusCode.ServiceUnavailable, $"The conductor did not answer: {e.Message}");
        }
    }

    private static async Task ChangeAsync(ConductorClient conductor, UpdateComputeService change)
    {
        var reply = await Conductor(() => conductor.CallUpdateComputeServiceAsync(change));
        if (reply.Service is null) throw NovaErrors.NotFound("Unknown service");
    }

    private static (string Host, string Binary) HostAndBinary(System.Text.Json.Nodes.JsonObject body)
    {
        var host = RequestJson.String(body, "host") ?? throw NovaErrors.InvalidInput("body", RequestJson.Text(body), "'host' is a required property");
        var binary = RequestJson.String(body, "binary") ?? throw NovaErrors.InvalidInput("body", RequestJson.Text(body), "'binary' is a required property");
        return (host, binary);
    }

    private static void CheckReason(string reason)
    {
        if (reason.Trim().Length == 0 || reason.Length > 255 || reason.Any(char.IsControl))
            throw NovaErrors.BadRequest("The string containing the reason for disabling the service contains invalid characters or is too long.");
    }

    private static async Task<Dictionary<string, string>> AggregateZonesAsync(IDbConnectionFactory db)
    {
        await using var c = await db.OpenAsync();
        return await HostZones.AggregateZonesAsync(c);
    }

    private static Dictionary<string, object?> View(ComputeServiceInfo s, ApiVersion version, HostZones zones, IReadOnlyDictionary<string, string> aggregateZones)
    {
        var view = new Dictionary<string, object?>
        {
            ["id"] = version.AtLeast(53) ? s.Uuid : s.Id,
            ["binary"] = s.Binary,
            ["disabled_reason"] = string.IsNullOrEmpty(s.DisabledReason) ? null : s.DisabledReason,
            ["host"] = s.Host,
            ["state"] = s.Up ? "up" : "down",
            ["status"] = s.Disabled ? "disabled" : "enabled",
            ["updated_at"] = s.UpdatedAt?.ToString("yyyy-MM-ddTHH:mm:ss.ffffff", CultureInfo.InvariantCulture),
            ["zone"] = s.Binary == "nova-compute" ? zones.ZoneOf(s.Host, aggregateZones) : zones.InternalZone,
        };
        if (version.AtLeast(11)) view["forced_down"] = s.ForcedDown;
        return view;
    }
}
