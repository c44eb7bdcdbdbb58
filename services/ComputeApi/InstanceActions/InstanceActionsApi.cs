using System.Text.Json.Nodes;
using ComputeApi.Common;
using ComputeApi.Servers;
using Conductor.Contracts;

namespace ComputeApi.InstanceActions;

/// <summary>os-instance-actions: a server's actions (the conductor keeps them), with events per nova's microversion rules.</summary>
public static class InstanceActionsApi
{
    public static void MapInstanceActions(this RouteGroupBuilder v21)
    {
        v21.MapGet("/servers/{id}/os-instance-actions", ListAsync);
        v21.MapGet("/servers/{id}/os-instance-actions/{requestId}", ShowAsync);
    }

    private static string Time(DateTime t) => NovaBody.Iso(t).TrimEnd('Z') + ".000000";

    private static JsonObject View(HttpContext http, InstanceActionInfo a)
    {
        var view = new JsonObject
        {
            ["action"] = a.Action,
            ["instance_uuid"] = a.InstanceUuid,
            ["request_id"] = a.RequestId,
            ["user_id"] = a.UserId,
            ["project_id"] = a.ProjectId,
            ["start_time"] = Time(a.StartTime),
            ["message"] = a.Message,
        };
        if (http.Microversion().AtLeast(58)) view["updated_at"] = a.UpdatedAt is { } u ? Time(u) : null;
        return view;
    }

    private static async Task<(InstanceInfo Instance, IReadOnlyList<InstanceActionInfo> Actions)> LoadAsync(string id, HttpContext http, ServerAccess servers, ConductorClient conductor, string rule)
    {
        // Actions of deleted servers are readable from 2.21.
        var instance = await servers.FindAsync(id, allowDeleted: http.Microversion().AtLeast(21));
        servers.Authz.Enforce(rule, instance.ProjectId);
        var reply = await conductor.CallListInstanceActionsAsync(id);
        if (reply.NotFound) throw NovaErrors.InstanceNotFound(id);
        return (instance, reply.Actions);
    }

    private static DateTime? Since(HttpContext http, string key)
    {
        var text = http.Request.Query[key].LastOrDefault();
        if (text is null) return null;
        return DateTime.TryParse(text, System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal, out var t)
            ? t : throw NovaErrors.BadRequest($"Invalid input for query parameters {key}. Value: {text}. '{text}' is not a 'date-time'");
    }

    private static async Task<IResult> ListAsync(string id, HttpContext http, ServerAccess servers, ConductorClient conductor)
    {
        var (_, all) = await LoadAsync(id, http, servers, conductor, "os_compute_api:os-instance-actions:list");
        var actions = all.OrderByDescending(a => a.StartTime).ToList();
        var body = new JsonObject();
        if (http.Microversion().AtLeast(58))
        {
            if (Since(http, "changes-since") is { } since) actions = [.. actions.Where(a => (a.UpdatedAt ?? a.StartTime) >= since)];
            if (http.Microversion().AtLeast(66) && Since(http, "changes-before") is { } before) actions = [.. actions.Where(a => (a.UpdatedAt ?? a.StartTime) <= before)];
            if (http.Request.Query["marker"].LastOrDefault() is { } marker)
            {
                var at = actions.FindIndex(a => a.RequestId == marker);
                if (at < 0) throw NovaErrors.BadRequest($"Marker {marker} could not be found.");
                actions = actions[(at + 1)..];
            }
            if (NovaBody.QueryInt(http.Request, "limit") is { } limit)
            {
                var more = actions.Count > limit;
                actions = [.. actions.Take(limit)];
                if (more && actions.Count > 0)
                    body["links"] = new JsonArray(new JsonObject
                    {
                        ["rel"] = "next",
                        ["href"] = $"{ServerView.Root(http.Request)}/v2.1/servers/{id}/os-instance-actions?limit={limit}&marker={actions[^1].RequestId}",
                    });
            }
        }
        body["instanceActions"] = new JsonArray([.. actions.Select(a => (JsonNode)View(http, a))]);
        return Results.Json(body);
    }

    private static async Task<IResult> ShowAsync(string id, string requestId, HttpContext http, ServerAccess servers, ConductorClient conductor)
    {
        var (instance, all) = await LoadAsync(id, http, servers, conductor, "os_compute_api:os-instance-actions:show");
        var action = all.FirstOrDefault(a => a.RequestId == requestId)
            ?? throw NovaErrors.NotFound($"Action for request_id {requestId} on instance {id} not found");
        var authz = servers.Authz;
        var version = http.Microversion();
        var view = View(http, action);
        var mayEvents = version.AtLeast(51) || authz.Allows("os_compute_api:os-instance-actions:events", instance.ProjectId);
        if (mayEvents)
        {
            var details = authz.Allows("os_compute_api:os-instance-actions:events", instance.ProjectId);
            view["events"] = new JsonArray([.. action.Events.Select(e =>
            {
                var ev = new JsonObject
                {
                    ["event"] = e.Event,
                    ["start_time"] = Time(e.StartTime),
                    ["finish_time"] = e.FinishTime is { } f ? Time(f) : null,
                    ["result"] = e.Result,
                };
                if (details) ev["traceback"] = e.Traceback;
                if (version.AtLeast(62))
                {
                    ev["hostId"] = ServerView.HostId(instance.ProjectId, e.Host);
                    if (details) ev["host"] = e.Host ?? "";
                }
                return (JsonNode)ev;
            })]);
        }
        return Results.Json(new JsonObject { ["instanceAction"] = view });
    }
}
