using System.Text.Json.Serialization;

namespace Platform.Catalog;

// The parts of keystone's POST /v3/auth/tokens answer this library reads.

internal sealed record TokenResponse([property: JsonPropertyName("token")] TokenBody? Token);

internal sealed record TokenBody(
    [property: JsonPropertyName("expires_at")] string? ExpiresAt,
    [property: JsonPropertyName("catalog")] IReadOnlyList<CatalogService>? Catalog);

internal sealed record CatalogService(
    [property: JsonPropertyName("type")] string? Type,
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("endpoints")] IReadOnlyList<CatalogEndpoint>? Endpoints);

internal sealed record CatalogEndpoint(
    [property: JsonPropertyName("interface")] string? Interface,
    [property: JsonPropertyName("region")] string? Region,
    [property: JsonPropertyName("region_id")] string? RegionId,
    [property: JsonPropertyName("url")] string? Url);
