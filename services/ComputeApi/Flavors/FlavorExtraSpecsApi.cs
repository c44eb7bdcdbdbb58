using System.Text.Json;
using System.Text.Json.Nodes;
using ComputeApi.Common;
using Dapper;
using Platform.Data;

namespace ComputeApi.Flavors;

/// <summary>/flavors/{id}/os-extra_specs: a flavor's extra specs (readers may read them, admins change them).</summary>
public static class FlavorExtraSpecsApi
{
    public static void MapFlavorExtraSpecs(this RouteGroupBuilder v21)
    {
        v21.MapGet("/flavors/{id}/os-extra_specs", IndexAsync);
        v21.MapPost("/flavors/{id}/os-extra_specs", CreateAsync);
        v21.MapGet("/flavors/{id}/os-extra_specs/{key}", ShowAsync);
        v21.MapPut("/flavors/{id}/os-extra_specs/{key}", UpdateAsync);
        v21.MapDelete("/flavors/{id}/os-extra_specs/{key}", DeleteAsync);
    }

    private static JsonObject Specs(IReadOnlyDictionary<string, string> specs) => new(specs.Select(s => KeyValuePair.Create(s.Key, (JsonNode?)s.Value)));

    private static async Task<IResult> IndexAsync(string id, IDbConnectionFactory db, NovaAuthz authz)
    {
        authz.Enforce("os_compute_api:os-flavor-extra-specs:index");
        await using var c = await db.OpenAsync();
        var flavor = await FlavorStore.FindVisibleAsync(c, authz, id);
        return Results.Json(new JsonObject { ["extra_specs"] = Specs(flavor.ExtraSpecs) });
    }

    private static async Task<IResult> ShowAsync(string id, string key, IDbConnectionFactory db, NovaAuthz authz)
    {
        authz.Enforce("os_compute_api:os-flavor-extra-specs:show");
        await using var c = await db.OpenAsync();
        var flavor = await FlavorStore.FindVisibleAsync(c, authz, id);
        if (!flavor.ExtraSpecs.TryGetValue(key, out var value)) throw NovaErrors.NotFound($"Flavor {id} has no extra specs with key {key}.");
        return Results.Json(new JsonObject { [key] = value });
    }

    private static Dictionary<string, string> Validate(JsonObject specs)
    {
        var result = new Dictionary<string, string>();
        foreach (var (k, v) in specs)
        {
            if (k.Length is < 1 or > 255 || !System.Text.RegularExpressions.Regex.IsMatch(k, @"^[\w\-\.:\s]+$"))
                throw NovaErrors.InvalidInput("extra_specs", specs.ToJsonString(), $"'{k}' does not match any of the regexes: '^[a-zA-Z0-9-_:. ]{{1,255}}$'");
            var value = v?.GetValueKind() switch
            {
                JsonValueKind.String => v.GetValue<string>(),
                JsonValueKind.Number => v.ToJsonString(),
                JsonValueKind.True => "True",
                JsonValueKind.False => "False",
                _ => throw NovaErrors.InvalidInput($"extra_specs/{k}", v?.ToJsonString() ?? "None", $"{v?.ToJsonString() ?? "None"} is not of type 'string', 'integer', 'number', 'boolean'"),
            };
            if (value.Length > 255) throw NovaErrors.InvalidInput($"extra_specs/{k}", value, $"'{value}' is too long");
            result[k] = value;
        }
        return result;
    }

    private static async Task UpsertAsync(IDbConnectionFactory db, FlavorStore store, string id, Dictionary<string, string> specs)
    {
        await using var c = await db.OpenAsync();
        var flavor = await FlavorStore.GetAsync(c, id) ?? throw NovaErrors.FlavorNotFound(id);
        foreach (var (key, value) in specs)
            await c.ExecuteAsync("""
                INSERT INTO flavor_extra_specs (flavor_internal_id, spec_key, spec_value) VALUES (@InternalId, @key, @value)
                ON DUPLICATE KEY UPDATE spec_value = @value
                """, new { flavor.InternalId, key, value });
        store.Forget(id);
    }

    private static async Task<IResult> CreateAsync(string id, HttpRequest request, IDbConnectionFactory db, NovaAuthz authz, FlavorStore store)
    {
        authz.Enforce("os_compute_api:os-flavor-extra-specs:create");
        var specs = Validate(NovaBody.Section(await NovaBody.ReadAsync(request), "extra_specs"));
        await UpsertAsync(db, store, id, specs);
        return Results.Json(new JsonObject { ["extra_specs"] = Specs(specs) });
    }

    private static async Task<IResult> UpdateAsync(string id, string key, HttpRequest request, IDbConnectionFactory db, NovaAuthz authz, FlavorStore store)
    {
        authz.Enforce("os_compute_api:os-flavor-extra-specs:update");
        var body = await NovaBody.ReadAsync(request);
        if (body.Count != 1) throw NovaErrors.BadRequest("Request body contains too many items");
        var specs = Validate(body);
        if (!specs.ContainsKey(key)) throw NovaErrors.BadRequest("Request body and URI mismatch");
        await UpsertAsync(db, store, id, specs);
        return Results.Json(Specs(specs));
    }

    private static async Task<IResult> DeleteAsync(string id, string key, IDbConnectionFactory db, NovaAuthz authz, FlavorStore store)
    {
        authz.Enforce("os_compute_api:os-flavor-extra-specs:delete");
        await using var c = await db.OpenAsync();
        var flavor = await FlavorStore.GetAsync(c, id) ?? throw NovaErrors.FlavorNotFound(id);
        if (await c.ExecuteAsync("DELETE FROM flavor_extra_specs WHERE flavor_internal_id = @InternalId AND spec_key = @key", new { flavor.InternalId, key }) == 0)
            throw NovaErrors.NotFound($"Flavor {id} has no extra specs with key {key}.");
        store.Forget(id);
        return Results.Ok();
    }
}
