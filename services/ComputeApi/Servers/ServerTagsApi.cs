using System.Text.Json.Nodes;
using ComputeApi.Common;
using Conductor.Contracts;
using ActionNames = Conductor.Contracts.InstanceActions;

namespace ComputeApi.Servers;

/// <summary>/servers/{id}/tags (2.26+): read from the read model, changed through the conductor (which replaces the whole set).</summary>
public static class ServerTagsApi
{
    public const int MaxTags = 50;

    public static void MapServerTags(this RouteGroupBuilder v21)
    {
        v21.MapGet("/servers/{id}/tags", IndexAsync);
        v21.MapPut("/servers/{id}/tags", UpdateAllAsync);
        v21.MapDelete("/servers/{id}/tags", DeleteAllAsync);
        v21.MapGet("/servers/{id}/tags/{tag}", ShowAsync);
        v21.MapPut("/servers/{id}/tags/{tag}", UpdateAsync);
        v21.MapDelete("/servers/{id}/tags/{tag}", DeleteAsync);
    }

    public static string ValidTag(string tag, string field = "tags")
    {
        if (tag.Length is < 1 or > 60) throw NovaErrors.InvalidInput(field, tag, tag.Length == 0 ? "'' is too short" : $"'{tag}' is too long");
        if (tag.Contains('/') || tag.Contains(',')) throw NovaErrors.InvalidInput(field, tag, $"'{tag}' does not match '^[^,/]*$'");
        return tag;
    }

    public static List<string> Validate(JsonArray tags)
    {
        var list = new List<string>();
        foreach (var t in tags)
        {
            if (t is not JsonValue v || !v.TryGetValue<string>(out var s)) throw NovaErrors.InvalidInput("tags", t?.ToJsonString() ?? "None", "is not of type 'string'");
            if (!list.Contains(ValidTag(s))) list.Add(s);
        }
        if (list.Count > MaxTags) throw NovaErrors.BadRequest($"The number of tags exceeded the per-server limit {MaxTags}");
        return list;
    }

    private static void RequireVersion(HttpContext http)
    {
        if (!http.Microversion().AtLeast(26)) throw NovaErrors.NotFound("The resource could not be found.");
    }

    private static async Task<InstanceInfo> FindAsync(HttpContext http, string id, ServerAccess servers, string rule)
    {
        RequireVersion(http);
        var instance = await servers.FindAsync(id);
        servers.Authz.Enforce(rule, instance.ProjectId);
        return instance;
    }

    private static async Task<IReadOnlyList<string>> SaveAsync(ServerAccess servers, InstanceInfo instance, List<string> tags)
    {
        var reply = await servers.RequestAsync(new RequestInstanceAction
        {
            InstanceUuid = instance.Uuid, Action = ActionNames.Update, Tags = tags, CallerIsAdmin = servers.Authz.IsAdmin,
        });
        return reply.Instance?.Tags ?? tags;
    }

    private static JsonObject Json(IEnumerable<string> tags) => new() { ["tags"] = new JsonArray([.. tags.Select(t => (JsonNode)t)]) };

    private static async Task<IResult> IndexAsync(string id, HttpContext http, ServerAccess servers) =>
        Results.Json(Json((await FindAsync(http, id, servers, "os_compute_api:servers:tags:index")).Tags));

    private static async Task<IResult> ShowAsync(string id, string tag, HttpContext http, ServerAccess servers)
    {
        var instance = await FindAsync(http, id, servers, "os_compute_api:servers:tags:show");
        if (!instance.Tags.Contains(tag)) throw NovaErrors.NotFound($"Instance {id} has no tag '{tag}'");
        return Results.NoContent();
    }

    private static async Task<IResult> UpdateAllAsync(string id, HttpContext http, ServerAccess servers)
    {
        RequireVersion(http);
        var body = await NovaBody.ReadAsync(http.Request);
        var tags = Validate(NovaBody.Array(body, "tags") ?? throw NovaErrors.BadRequest("Invalid input for field/attribute tags. 'tags' is a required property"));
        var instance = await FindAsync(http, id, servers, "os_compute_api:servers:tags:update_all");
        return Results.Json(Json(await SaveAsync(servers, instance, tags)));
    }

    private static async Task<IResult> DeleteAllAsync(string id, HttpContext http, ServerAccess servers)
    {
        var instance = await FindAsync(http, id, servers, "os_compute_api:servers:tags:delete_all");
        await SaveAsync(servers, instance, []);
        return Results.NoContent();
    }

    private static async Task<IResult> UpdateAsync(string id, string tag, HttpContext http, ServerAccess servers)
    {
        ValidTag(tag, "tag");
        var instance = await FindAsync(http, id, servers, "os_compute_api:servers:tags:update");
        if (instance.Tags.Contains(tag)) return Results.NoContent();
        if (instance.Tags.Count >= MaxTags) throw NovaErrors.BadRequest($"The number of tags exceeded the per-server limit {MaxTags}");
        await SaveAsync(servers, instance, [.. instance.Tags, tag]);
        http.Response.Headers.Location = $"{ServerView.Root(http.Request)}/v2.1/servers/{id}/tags/{Uri.EscapeDataString(tag)}";
        return Results.StatusCode(StatusCodes.Status201Created);
    }

    private static async Task<IResult> DeleteAsync(string id, string tag, HttpContext http, ServerAccess servers)
    {
        var instance = await FindAsync(http, id, servers, "os_compute_api:servers:tags:delete");
        if (!instance.Tags.Contains(tag)) throw NovaErrors.NotFound($"Instance {id} has no tag '{tag}'");
        await SaveAsync(servers, instance, [.. instance.Tags.Where(t => t != tag)]);
        return Results.NoContent();
    }
}
