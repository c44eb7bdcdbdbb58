namespace Platform.Catalog;

/// <summary>
/// This service's own identity: a token for its service user and the endpoints of the other
/// services, read from that token's catalog.
/// </summary>
public interface IServiceCatalog
{
    /// <summary>
    /// The URL of <paramref name="serviceType"/> (<c>image</c>, <c>block-storage</c>, ...) for
    /// <paramref name="interface"/> (configured <c>interface</c>, else <c>internal</c>) in
    /// <paramref name="region"/> (configured <c>region_name</c>, else any).
    /// </summary>
    /// <exception cref="EndpointNotFoundException">The catalog has no such endpoint.</exception>
    /// <exception cref="IdentityAuthenticationException">The service user could not authenticate.</exception>
    Task<Uri> GetEndpointAsync(string serviceType, string? @interface = null, string? region = null, CancellationToken ct = default);

    /// <summary>A valid token of the service user, to send as <c>X-Auth-Token</c> or <c>X-Service-Token</c>.</summary>
    /// <exception cref="IdentityAuthenticationException">The service user could not authenticate.</exception>
    Task<string> GetTokenAsync(CancellationToken ct = default);

    /// <summary>
    /// Drops <paramref name="token"/> if it is still the cached one, for a caller that was told
    /// it is no longer valid (revoked); the next call authenticates again.
    /// </summary>
    void InvalidateToken(string token);
}
