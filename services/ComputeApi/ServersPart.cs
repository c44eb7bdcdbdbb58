namespace ComputeApi;

/// <summary>Servers and what a project uses them with: flavors, keypairs, quotas and limits, instance actions, external events.</summary>
public static class ServersPart
{
    public static void Add(IServiceCollection services)
    {
    }

    public static void Map(RouteGroupBuilder v21)
    {
    }
}
