using System.Text.Json.Nodes;
using ComputeApi.Common;
using ComputeApi.Quotas;
using Conductor.Contracts;
using ActionNames = Conductor.Contracts.InstanceActions;
using Platform.Data;

namespace ComputeApi.Servers;

/// <summary>/servers/{id}/metadata: read from the read model, changed through the conductor (which replaces the whole set).</summary>
public static class ServerMetadataApi
{
    public static void MapServerMetadata(this RouteGroupBuilder v21)
    {
        v21.MapGet("/servers/{id}/metadata", IndexAsync);
        v21.MapPost("/servers/{id}/metadata", (string id, HttpRequest request, ServerAccess servers, QuotaEngine quotas, IDbConnectionFactory db) =>
            ChangeAsync(id, request, servers, quotas, db, replace: false));
        v21.MapPut("/servers/{id}/metadata", (string id, HttpRequest request, ServerAccess servers, QuotaEngine quotas, IDbConnectionFactory db) =>
            ChangeAsync(id, request, servers, quotas, db, replace: true));
        v21.MapGet("/servers/{id}/metadata/{key}", ShowAsync);
        v21.MapPut("/servers/{id}/metadata/{key}", UpdateItemAsync);
        v21.MapDelete("/servers/{id}/metadata/{key}", DeleteItemAsync);
    }

    private static JsonObject Json(IReadOnlyDictionary<string, string> metadata) => new(metadata.Select(m => KeyValuePair.Create(m.Key, (JsonNode?)m.Value)));

    private static async Task<IResult> IndexAsync(string id, ServerAccess servers)
    {
        var instance = await servers.FindAsync(id);
        servers.Authz.Enforce("os_compute_api:server-metadata:index", instance.ProjectId);
        return Results.Json(new JsonObject { ["metadata"] = Json(instance.Metadata) });
    }

    private static async Task<IResult> ShowAsync(string id, string key, ServerAccess servers)
    {
        var instance = await servers.FindAsync(id);
        servers.Authz.Enforce("os_compute_api:server-metadata:show", instance.ProjectId);
        if (!instance.Metadata.TryGetValue(key, out var value)) throw NovaErrors.NotFound("Metadata item was not found");
        return Results.Json(new JsonObject { ["meta"] = new JsonObject { [key] = value } });
    }

    private static async Task<Dictionary<string, string>> SaveAsync(ServerAccess servers, QuotaEngine quotas, IDbConnectionFactory db, InstanceInfo instance, Dictionary<string, string> metadata)
    {
        await using (var c = await db.OpenAsync()) await quotas.CheckMetadataAsync(c, instance.ProjectId, metadata.Count);
        var reply = await servers.RequestAsync(new RequestInstanceAction
        {
            InstanceUuid = instance.Uuid, Action = ActionNames.Update, Metadata = metadata, CallerIsAdmin = servers.Authz.IsAdmin,
        });
        return reply.Instance?.Metadata.ToDictionary() ?? metadata;
    }

    private static async Task<IResult> ChangeAsync(string id, HttpRequest request, ServerAccess servers, QuotaEngine quotas, IDbConnectionFactory db, bool replace)
    {
        var body = await NovaBody.ReadAsync(request);
        if (body["metadata"] is not JsonObject) NovaBody.Section(body, "metadata");
        var given = NovaBody.Metadata(body, "metadata");
        var instance = await servers.FindAsync(id);
        servers.Authz.Enforce(replace ? "os_compute_api:server-metadata:update_all" : "os_compute_api:server-metadata:create", instance.ProjectId);
        var metadata = replace ? given : new Dictionary<string, string>(instance.Metadata);
        if (!replace) foreach (var (k, v) in given) metadata[k] = v;
        var saved = await SaveAsync(servers, quotas, db, instance, metadata);
        return Results.Json(new JsonObject { ["metadata"] = Json(saved) });
    }

    private static async Task<IResult> UpdateItemAsync(string id, string key, HttpRequest request, ServerAccess servers, QuotaEngine quotas, IDbConnectionFactory db)
    {
        var body = await NovaBody.ReadAsync(request);
        var meta = NovaBody.Section(body, "meta");
        if (meta.Count > 1) throw NovaErrors.BadRequest("Request body contains too many items");
        var given = NovaBody.Metadata(body, "meta");
        if (!given.TryGetValue(key, out var value)) throw NovaErrors.BadRequest("Request body and URI mismatch");
        var instance = await servers.FindAsync(id);
        servers.Authz.Enforce("os_compute_api:server-metadata:update", instance.ProjectId);
        var metadata = new Dictionary<string, string>(instance.Metadata) { [key] = value };
        await SaveAsync(servers, quotas, db, instance, metadata);
        return Results.Json(new JsonObject { ["meta"] = new JsonObject { [key] = value } });
    }

    private static async Task<IResult> DeleteItemAsync(string id, string key, ServerAccess servers, QuotaEngine quotas, IDbConnectionFactory db)
    {
        var instance = await servers.FindAsync(id);
        servers.Authz.Enforce("os_compute_api:server-metadata:delete", instance.ProjectId);
        if (!instance.Metadata.ContainsKey(key)) throw NovaErrors.NotFound("Metadata item was not found");
        var metadata = new Dictionary<string, string>(instance.Metadata);
        metadata.Remove(key);
        await SaveAsync(servers, quotas, db, instance, metadata);
        return Results.NoContent();
    }
}
