using NetworkServer.Agents;
using NetworkServer.Common;
using NetworkServer.Contracts;
using NetworkServer.L3;
using NetworkServer.Ml2;
using NetworkServer.Ml2.MechanismDrivers;
using NetworkServer.Networks;
using NetworkServer.Notifiers;
using NetworkServer.Ports;
using NetworkServer.Quotas;
using NetworkServer.Rpc;
using NetworkServer.SecurityGroups;
using NetworkServer.Subnets;
using NetworkServer.Versions;
using Platform.Auth.Policy;
using Platform.Hosting;
using Platform.Stack;

namespace NetworkServer;

/// <summary>The network server (neutron-server): the v2.0 API, ML2, IPAM, and the RPC agents call.</summary>
public static class NetworkServerService
{
    public static readonly ServiceDescription Description = new("network-server", 9696, ApiFlavor.Neutron);

    public static WebApplicationBuilder AddNetworkServer(this WebApplicationBuilder builder)
    {
        builder.AddServiceStack(typeof(NetworkServerService).Assembly, endpoints =>
        {
            // Heartbeats on their own queue, so a busy plugin queue never makes an agent look dead.
            endpoints.Queue(Topics.Reports, e => e.Consumer<ReportStateConsumer>());
            endpoints.Queue(Topics.Plugin, e => e
                .Consumer<GetDevicesDetailsConsumer>()
                .Consumer<UpdateDeviceListConsumer>()
                .Consumer<SyncRoutersConsumer>()
                .Consumer<GetActiveNetworksInfoConsumer>());
        });
        builder.AddPolicy(NeutronPolicy.Defaults);

        var services = builder.Services;
        services.AddSingleton(sp => TypeManager.FromConfiguration(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton(sp => MechanismManager.FromConfiguration(sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<AgentLiveness>()));
        services.AddSingleton<NeutronAuthz>();
        services.AddSingleton<AgentLiveness>();
        services.AddSingleton<DhcpAgentScheduler>();
        services.AddSingleton<L3AgentScheduler>();
        services.AddSingleton<AgentNotifier>();
        services.AddSingleton<QuotaEngine>();
        services.AddSingleton<DefaultSecurityGroups>();
        services.AddSingleton<PortOperations>();
        services.AddHttpClient(nameof(ComputeNotifier));
        services.AddSingleton<ComputeNotifier>();
        services.AddHostedService(sp => sp.GetRequiredService<ComputeNotifier>());
        return builder;
    }

    public static WebApplication MapNetworkServer(this WebApplication app)
    {
        app.MapVersions();
        var v2 = app.MapGroup("/v2.0");
        v2.MapNetworks();
        v2.MapSubnets();
        v2.MapSubnetPools();
        v2.MapPorts();
        v2.MapSecurityGroups();
        v2.MapRouters();
        v2.MapFloatingIps();
        v2.MapAgents();
        v2.MapQuotas();
        return app;
    }
}
