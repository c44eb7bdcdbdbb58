namespace ComputeApi;

/// <summary>What operators manage: server groups, availability zones, hypervisors, compute services and aggregates.</summary>
public static class InfrastructurePart
{
    public static void Add(IServiceCollection services)
    {
    }

    public static void Map(RouteGroupBuilder v21)
    {
    }
}
