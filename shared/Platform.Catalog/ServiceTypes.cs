namespace Platform.Catalog;

/// <summary>
/// Service types that name one service, after the OpenStack service-types authority, so a
/// caller asking for <c>block-storage</c> finds a catalog's <c>volumev3</c> and the reverse.
/// </summary>
public static class ServiceTypes
{
    // The authority also lists volumev2 and volume for block-storage; those entries point at
    // older API versions, which a caller of the v3 API must not be handed.
    private static readonly string[][] groups =
    [
        ["block-storage", "volumev3", "block-store"],
    ];

    /// <summary>The types to look for, the asked one first, then its other names.</summary>
    public static IReadOnlyList<string> Candidates(string serviceType)
    {
        var group = groups.FirstOrDefault(g => g.Contains(serviceType, StringComparer.OrdinalIgnoreCase));
        return group is null
            ? [serviceType]
            : [serviceType, .. group.Where(t => !string.Equals(t, serviceType, StringComparison.OrdinalIgnoreCase))];
    }
}
