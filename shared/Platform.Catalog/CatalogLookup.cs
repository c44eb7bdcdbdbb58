namespace Platform.Catalog;

/// <summary>Picks an endpoint out of a token's catalog.</summary>
internal static class CatalogLookup
{
    public static Uri? Find(IReadOnlyList<CatalogService> catalog, string serviceType, string @interface, string? region)
    {
        var wanted = NormalizeInterface(@interface);
        foreach (var type in ServiceTypes.Candidates(serviceType))
        {
            foreach (var service in catalog.Where(s => string.Equals(s.Type, type, StringComparison.OrdinalIgnoreCase)))
            {
                var endpoint = service.Endpoints?.FirstOrDefault(e =>
                    e.Url is not null
                    && string.Equals(NormalizeInterface(e.Interface), wanted, StringComparison.OrdinalIgnoreCase)
                    // region_id is the v3 name; region is what older catalogs carry.
                    && (region is null || e.RegionId == region || e.Region == region));
                if (endpoint is not null)
                    return new Uri(endpoint.Url!, UriKind.Absolute);
            }
        }
        return null;
    }

    // keystoneauth accepts the v2 names (publicURL, internalURL) for the same interfaces.
    private static string? NormalizeInterface(string? value) =>
        value is not null && value.EndsWith("URL", StringComparison.Ordinal) ? value[..^3] : value;
}
