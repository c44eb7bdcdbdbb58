namespace Platform.Catalog;

/// <summary>The service catalog has no endpoint of the asked type, interface and region.</summary>
public sealed class EndpointNotFoundException(string serviceType, string @interface, string? region)
    : Exception($"the service catalog has no '{@interface}' endpoint for service type '{serviceType}' " +
        (region is null ? "in any region" : $"in region '{region}'"))
{
    public string ServiceType { get; } = serviceType;
    public string Interface { get; } = @interface;
    public string? Region { get; } = region;
}
