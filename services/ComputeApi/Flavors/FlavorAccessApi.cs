using System.Data.Common;
using System.Text.Json.Nodes;
using ComputeApi.Common;
using Dapper;
using Platform.Data;

namespace ComputeApi.Flavors;

/// <summary>os-flavor-access: which projects may use a private flavor (addTenantAccess, removeTenantAccess).</summary>
public static class FlavorAccessApi
{
    public static void MapFlavorAccess(this RouteGroupBuilder v21)
    {
        v21.MapGet("/flavors/{id}/os-flavor-access", IndexAsync);
        v21.MapPost("/flavors/{id}/action", ActionAsync);
    }

    private static async Task<JsonObject> AccessListAsync(DbConnection c, FlavorRow flavor) => new()
    {
        ["flavor_access"] = new JsonArray([.. (await FlavorStore.ProjectsAsync(c, flavor.InternalId)).Select(p => (JsonNode)new JsonObject { ["flavor_id"] = flavor.Flavorid, ["tenant_id"] = p })]),
    };

    private static async Task<IResult> IndexAsync(string id, IDbConnectionFactory db, NovaAuthz authz)
    {
        authz.Enforce("os_compute_api:os-flavor-access");
        await using var c = await db.OpenAsync();
        var flavor = await FlavorStore.GetAsync(c, id) ?? throw NovaErrors.FlavorNotFound(id);
        if (flavor.IsPublic) throw NovaErrors.NotFound("Access list not available for public flavors.");
        return Results.Json(await AccessListAsync(c, flavor));
    }

    private static async Task<IResult> ActionAsync(string id, HttpRequest request, IDbConnectionFactory db, NovaAuthz authz, FlavorStore store)
    {
        var body = await NovaBody.ReadAsync(request);
        var add = body.ContainsKey("addTenantAccess");
        if (!add && !body.ContainsKey("removeTenantAccess")) throw NovaErrors.BadRequest("There is no such action: " + string.Join(",", body.Select(p => p.Key)));
        authz.Enforce(add ? "os_compute_api:os-flavor-access:add_tenant_access" : "os_compute_api:os-flavor-access:remove_tenant_access");
        var section = NovaBody.Section(body, add ? "addTenantAccess" : "removeTenantAccess");
        var tenant = NovaBody.String(section, "tenant", 1, 255, required: true)!;
        await using var c = await db.OpenAsync();
        var flavor = await FlavorStore.GetAsync(c, id) ?? throw NovaErrors.FlavorNotFound(id);
        if (add)
        {
            if (flavor.IsPublic) throw NovaErrors.Conflict("Can not add access to a public flavor.");
            try
            {
                await c.ExecuteAsync("INSERT INTO flavor_projects (flavor_internal_id, project_id) VALUES (@InternalId, @tenant)", new { flavor.InternalId, tenant });
            }
            catch (DbException e) when (e.IsDuplicateKey())
            {
                throw NovaErrors.Conflict($"Flavor access already exists for flavor {id} and project {tenant} combination.");
            }
        }
        else if (await c.ExecuteAsync("DELETE FROM flavor_projects WHERE flavor_internal_id = @InternalId AND project_id = @tenant", new { flavor.InternalId, tenant }) == 0)
        {
            throw NovaErrors.NotFound($"Flavor access not found for {id} / {tenant} combination.");
        }
        store.Forget(id);
        return Results.Json(await AccessListAsync(c, flavor));
    }
}
