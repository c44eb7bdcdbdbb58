namespace Platform.Catalog;

/// <summary>A token of the service user and the catalog that came with it.</summary>
internal sealed record ServiceToken(string Value, DateTimeOffset ExpiresAt, IReadOnlyList<CatalogService> Catalog)
{
    // The generated ToString would print the token.
    public override string ToString() => $"service token expiring at {ExpiresAt:O}";
}
