using Dapper;
using Platform.Data;

namespace Identity.Catalog;

public sealed record Region(string Id, string Description, string? ParentRegionId);
public sealed record Service(string Id, string Type, string? Name, string? Description, bool Enabled);
public sealed record Endpoint(string Id, string ServiceId, string Interface, string? RegionId, string Url, bool Enabled);

public sealed class CatalogStore(IDbConnectionFactory db, TimeProvider time)
{
    private readonly Common.ShortCache<IReadOnlyList<object>> tokenCatalog = new(TimeSpan.FromSeconds(10), time);

    /// <summary>The catalog changed here: the next token carries the new one.</summary>
    public void Changed() => tokenCatalog.Invalidate();

    public async Task<IReadOnlyList<Region>> RegionsAsync()
    {
        await using var c = await db.OpenAsync();
        return [.. await c.QueryAsync<Region>("SELECT id, description, parent_region_id FROM regions ORDER BY id")];
    }

    public async Task<IReadOnlyList<Service>> ServicesAsync()
    {
        await using var c = await db.OpenAsync();
        return [.. await c.QueryAsync<Service>("SELECT id, type, name, description, enabled FROM services ORDER BY type, name")];
    }

    public async Task<IReadOnlyList<Endpoint>> EndpointsAsync()
    {
        await using var c = await db.OpenAsync();
        return [.. await c.QueryAsync<Endpoint>("SELECT id, service_id, interface, region_id, url, enabled FROM endpoints ORDER BY service_id, interface")];
    }

    /// <summary>The catalog of a token: every enabled service with its enabled endpoints.</summary>
    public Task<IReadOnlyList<object>> TokenCatalogAsync() => tokenCatalog.GetAsync(async () =>
    {
        var endpoints = (await EndpointsAsync()).Where(e => e.Enabled).ToLookup(e => e.ServiceId);
        return (IReadOnlyList<object>)[.. (await ServicesAsync()).Where(s => s.Enabled).Select(s => new
        {
            id = s.Id,
            type = s.Type,
            name = s.Name ?? "",
            endpoints = endpoints[s.Id].Select(e => new { id = e.Id, @interface = e.Interface, region_id = e.RegionId, region = e.RegionId, url = e.Url }).ToList(),
        })];
    });
}
