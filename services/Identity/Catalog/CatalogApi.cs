using Dapper;
using Identity.Common;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Platform.Data;

namespace Identity.Catalog;

/// <summary>Regions, services and endpoints: the catalog an operator edits.</summary>
public static class CatalogApi
{
    private static readonly string[] interfaces = ["public", "internal", "admin"];

    public static void MapCatalog(this IEndpointRouteBuilder v3)
    {
        v3.MapGet("/regions", async (HttpRequest r, CatalogStore s, Authz a, string? parent_region_id) =>
        {
            a.Enforce("identity:list_regions");
            var regions = (await s.RegionsAsync()).Where(x => parent_region_id is null || x.ParentRegionId == parent_region_id);
            return Results.Ok(new { regions = regions.Select(x => Region(r, x)), links = Links.Collection(r) });
        });
        v3.MapGet("/regions/{id}", async (HttpRequest r, CatalogStore s, Authz a, string id) =>
        {
            a.Enforce("identity:get_region");
            var region = (await s.RegionsAsync()).FirstOrDefault(x => x.Id == id) ?? throw KeystoneErrors.NotFound("region", id);
            return Results.Ok(new { region = Region(r, region) });
        });
        v3.MapPost("/regions", CreateRegionAsync);
        v3.MapDelete("/regions/{id}", (IDbConnectionFactory db, CatalogStore s, Authz a, string id) => DeleteAsync(db, s, a, "identity:delete_region", "region", id,
            "DELETE FROM regions WHERE id = @id AND NOT EXISTS (SELECT 1 FROM endpoints WHERE region_id = @id)"));

        v3.MapGet("/services", async (HttpRequest r, CatalogStore s, Authz a, string? type) =>
        {
            a.Enforce("identity:list_services");
            var services = (await s.ServicesAsync()).Where(x => type is null || x.Type == type);
            return Results.Ok(new { services = services.Select(x => Service(r, x)), links = Links.Collection(r) });
        });
        v3.MapGet("/services/{id}", async (HttpRequest r, CatalogStore s, Authz a, string id) =>
        {
            a.Enforce("identity:get_service");
            var service = (await s.ServicesAsync()).FirstOrDefault(x => x.Id == id) ?? throw KeystoneErrors.NotFound("service", id);
            return Results.Ok(new { service = Service(r, service) });
        });
        v3.MapPost("/services", CreateServiceAsync);
        v3.MapDelete("/services/{id}", (IDbConnectionFactory db, CatalogStore s, Authz a, string id) => DeleteAsync(db, s, a, "identity:delete_service", "service", id,
            "DELETE FROM endpoints WHERE service_id = @id; DELETE FROM services WHERE id = @id"));

        v3.MapGet("/endpoints", async (HttpRequest r, CatalogStore s, Authz a, string? service_id, string? @interface, string? region_id) =>
        {
            a.Enforce("identity:list_endpoints");
            var endpoints = (await s.EndpointsAsync()).Where(x => (service_id is null || x.ServiceId == service_id)
                && (@interface is null || x.Interface == @interface) && (region_id is null || x.RegionId == region_id));
            return Results.Ok(new { endpoints = endpoints.Select(x => Endpoint(r, x)), links = Links.Collection(r) });
        });
        v3.MapGet("/endpoints/{id}", async (HttpRequest r, CatalogStore s, Authz a, string id) =>
        {
            a.Enforce("identity:get_endpoint");
            var endpoint = (await s.EndpointsAsync()).FirstOrDefault(x => x.Id == id) ?? throw KeystoneErrors.NotFound("endpoint", id);
            return Results.Ok(new { endpoint = Endpoint(r, endpoint) });
        });
        v3.MapPost("/endpoints", CreateEndpointAsync);
        v3.MapDelete("/endpoints/{id}", (IDbConnectionFactory db, CatalogStore s, Authz a, string id) => DeleteAsync(db, s, a, "identity:delete_endpoint", "endpoint", id,
            "DELETE FROM endpoints WHERE id = @id"));
    }

    private static object Region(HttpRequest r, Region x) => new { id = x.Id, description = x.Description, parent_region_id = x.ParentRegionId, links = Links.Self(r, $"regions/{x.Id}") };

    private static object Service(HttpRequest r, Service x) => new { id = x.Id, type = x.Type, name = x.Name, description = x.Description, enabled = x.Enabled, links = Links.Self(r, $"services/{x.Id}") };

    private static object Endpoint(HttpRequest r, Endpoint x) => new
    {
        id = x.Id,
        @interface = x.Interface,
        region_id = x.RegionId,
        region = x.RegionId,
        service_id = x.ServiceId,
        url = x.Url,
        enabled = x.Enabled,
        links = Links.Self(r, $"endpoints/{x.Id}"),
    };

    private static async Task<IResult> DeleteAsync(IDbConnectionFactory db, CatalogStore store, Authz authz, string rule, string kind, string id, string sql)
    {
        authz.Enforce(rule);
        await using var c = await db.OpenAsync();
        if (await c.ExecuteAsync(sql, new { id }) == 0) throw KeystoneErrors.NotFound(kind, id);
        store.Changed();
        return Results.NoContent();
    }

    private static async Task<IResult> CreateRegionAsync(HttpRequest request, IDbConnectionFactory db, Authz authz)
    {
        authz.Enforce("identity:create_region");
        var body = await Body.ReadAsync(request, "region");
        var region = new Region(body.String("id") ?? Ids.New(), body.String("description") ?? "", body.String("parent_region_id"));
        await using var c = await db.OpenAsync();
        if (region.ParentRegionId is not null && await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM regions WHERE id = @ParentRegionId", region) == 0)
            throw KeystoneErrors.NotFound("region", region.ParentRegionId);
        if (await c.ExecuteAsync("INSERT IGNORE INTO regions (id, description, parent_region_id) VALUES (@Id, @Description, @ParentRegionId)", region) == 0)
            throw KeystoneErrors.Conflict("region", $"Duplicate ID, {region.Id}");
        return Results.Json(new { region = Region(request, region) }, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> CreateServiceAsync(HttpRequest request, IDbConnectionFactory db, CatalogStore store, Authz authz)
    {
        authz.Enforce("identity:create_service");
        var body = await Body.ReadAsync(request, "service");
        var service = new Service(Ids.New(), body.RequiredName("type"), body.String("name"), body.String("description", 65535), body.Bool("enabled") ?? true);
        await using var c = await db.OpenAsync();
        await c.ExecuteAsync("INSERT INTO services (id, type, name, description, enabled) VALUES (@Id, @Type, @Name, @Description, @Enabled)", service);
        store.Changed();
        return Results.Json(new { service = Service(request, service) }, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> CreateEndpointAsync(HttpRequest request, IDbConnectionFactory db, CatalogStore store, Authz authz)
    {
        authz.Enforce("identity:create_endpoint");
        var body = await Body.ReadAsync(request, "endpoint");
        var endpoint = new Endpoint(Ids.New(), body.RequiredName("service_id"), body.RequiredName("interface"), body.String("region_id") ?? body.String("region"),
            body.RequiredName("url", 2048), body.Bool("enabled") ?? true);
        if (!interfaces.Contains(endpoint.Interface))
            throw KeystoneErrors.Validation($"Invalid input for field 'interface': '{endpoint.Interface}' is not one of public, internal, admin.");
        if (!Uri.TryCreate(endpoint.Url, UriKind.Absolute, out _))
            throw KeystoneErrors.Validation($"Invalid input for field 'url': '{endpoint.Url}' is not a URL.");
        await using var c = await db.OpenAsync();
        if (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM services WHERE id = @ServiceId", endpoint) == 0)
            throw KeystoneErrors.NotFound("service", endpoint.ServiceId);
        if (endpoint.RegionId is not null && await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM regions WHERE id = @RegionId", endpoint) == 0)
            throw KeystoneErrors.NotFound("region", endpoint.RegionId);
        await c.ExecuteAsync("INSERT INTO endpoints (id, service_id, interface, region_id, url, enabled) VALUES (@Id, @ServiceId, @Interface, @RegionId, @Url, @Enabled)", endpoint);
        store.Changed();
        return Results.Json(new { endpoint = Endpoint(request, endpoint) }, statusCode: StatusCodes.Status201Created);
    }
}
