using ComputeAgent.Consumers;
using ComputeAgent.Manager;
using ComputeAgent.Network;
using ComputeAgent.Virt;
using Conductor.Contracts;
using Image.Contracts;
using NetworkServer.Contracts;
using Platform.Hosting;
using Platform.Stack;
using Scheduler.Contracts;

namespace ComputeAgent;

/// <summary>The compute agent (nova-compute): what it adds to the standard agent stack.</summary>
public static class ComputeAgentService
{
    public static readonly ServiceDescription Description = new("compute-agent", 8791, ApiFlavor.None);

    public static WebApplicationBuilder AddComputeAgent(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        // An unknown driver stops the agent here, before it listens to anything.
        VirtDrivers.Configured(configuration);
        var settings = ComputeSettings.FromConfiguration(configuration);
        // Builds and actions a host works on at once (nova's max_concurrent_builds is 10); a build
        // waiting for network-vif-plugged holds its slot.
        var concurrency = configuration.GetValue("compute:max_concurrent_operations", 16);

        // One queue per host this process plays: the conductor reaches each as compute.<host>.
        builder.AddAgentStack(endpoints =>
        {
            foreach (var host in settings.HostNames)
                endpoints.Queue(ComputeAgent.Contracts.Topics.ComputeOn(host), e =>
                {
                    e.ConcurrentMessageLimit = concurrency;
                    e.Consumer<ComputeConsumer>();
                });
        }, catalog: true);
        builder.AddPlacementClient();

        var services = builder.Services;
        services.AddSingleton(settings);
        services.AddSingleton<ComputeHosts>();
        services.AddSingleton<InstanceEvents>();
        services.AddSingleton<InstanceLocks>();
        services.AddSingleton<ConductorClient>();
        services.AddHttpClient<ImageClient>();
        services.AddHttpClient<NetworkClient>();
        services.AddHttpClient<Volume.Contracts.VolumeClient>();
        services.AddHttpClient<SecurityGroupLookup>();
        services.AddTransient<NetworkApi>();
        services.AddTransient<ComputeManager>();
        services.AddHostedService<HostReporter>();
        return builder;
    }
}
