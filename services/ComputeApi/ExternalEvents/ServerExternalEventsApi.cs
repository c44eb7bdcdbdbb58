using System.Text.Json.Nodes;
using ComputeApi.Common;
using Conductor.Contracts;
using Dapper;
using Platform.Data;

namespace ComputeApi.ExternalEvents;

/// <summary>
/// os-server-external-events: the network service (and others) tell compute that something
/// happened to a server's port or volume. Known servers with a host get the event forwarded to
/// the conductor; unknown ones answer 404 in their entry, ones with no host yet 422; the whole
/// answer is 200, 207 when only some went, 404 when none did.
/// </summary>
public static class ServerExternalEventsApi
{
    private static readonly string[] Names = ["network-changed", "network-vif-plugged", "network-vif-unplugged", "network-vif-deleted"];

    public static void MapServerExternalEvents(this RouteGroupBuilder v21) => v21.MapPost("/os-server-external-events", CreateAsync);

    private static async Task<IResult> CreateAsync(HttpContext http, IDbConnectionFactory db, NovaAuthz authz, ConductorClient conductor)
    {
        authz.Enforce("os_compute_api:os-server-external-events:create");
        var version = http.Microversion();
        var names = Names.ToList();
        if (version.AtLeast(51)) names.Add("volume-extended");
        if (version.AtLeast(76)) names.Add("power-update");
        var body = await NovaBody.ReadAsync(http.Request);
        var list = NovaBody.Array(body, "events") ?? throw NovaErrors.BadRequest("Invalid input for field/attribute events. 'events' is a required property");
        if (list.Count == 0) throw NovaErrors.InvalidInput("events", "[]", "[] is too short");
        var events = new List<(JsonObject View, string Uuid)>();
        foreach (var item in list)
        {
            if (item is not JsonObject e) throw NovaErrors.InvalidInput("events", item?.ToJsonString() ?? "None", "is not of type 'object'");
            NovaBody.Only(e, "name", "server_uuid", "status", "tag");
            var name = NovaBody.String(e, "name", required: true)!;
            if (!names.Contains(name)) throw NovaErrors.InvalidInput("events/name", name, $"'{name}' is not one of [{string.Join(", ", names.Select(n => $"'{n}'"))}]");
            var uuid = NovaBody.String(e, "server_uuid", required: true)!;
            var status = NovaBody.String(e, "status") ?? "completed";
            if (status is not ("failed" or "completed" or "in-progress"))
                throw NovaErrors.InvalidInput("events/status", status, $"'{status}' is not one of ['failed', 'completed', 'in-progress']");
            var tag = NovaBody.String(e, "tag");
            var view = new JsonObject { ["name"] = name, ["server_uuid"] = uuid, ["status"] = status };
            if (tag is not null) view["tag"] = tag;
            events.Add((view, uuid));
        }

        await using var c = await db.OpenAsync();
        var uuids = events.Select(e => e.Uuid).Distinct().ToList();
        var hosts = (await c.QueryAsync<(string Uuid, string? Host)>("SELECT uuid, host FROM instances WHERE uuid IN @uuids AND deleted = 0", new { uuids }))
            .ToDictionary(r => r.Uuid, r => r.Host);
        var forwarded = new List<ExternalEvent>();
        foreach (var (view, uuid) in events)
        {
            if (!hosts.TryGetValue(uuid, out var host))
            {
                view["code"] = 404;
                view["status"] = "failed";
            }
            else if (string.IsNullOrEmpty(host))
            {
                view["code"] = 422;
                view["status"] = "failed";
            }
            else
            {
                view["code"] = 200;
                forwarded.Add(new ExternalEvent(uuid, view["name"]!.GetValue<string>(), view["tag"]?.GetValue<string>(), view["status"]!.GetValue<string>()));
            }
        }
        if (forwarded.Count > 0) await conductor.CastExternalInstanceEventsAsync(new ExternalInstanceEvents(forwarded));
        if (forwarded.Count == 0 && events.All(e => e.View["code"]!.GetValue<int>() == 404))
            throw NovaErrors.NotFound("No instances found for any event");
        var answer = new JsonObject { ["events"] = new JsonArray([.. events.Select(e => (JsonNode)e.View)]) };
        return Results.Json(answer, statusCode: forwarded.Count == events.Count ? StatusCodes.Status200OK : StatusCodes.Status207MultiStatus);
    }
}
