using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.Messaging;

namespace NetworkServer.Contracts;

/// <summary>
/// An agent's report_state loop, as neutron agents run it: the first report says the agent
/// started, then one every <c>agent:report_interval</c> seconds (30 by default) carries its
/// configuration; the server shows the agent alive while reports keep coming. A failed report
/// is logged and the next one is simply tried.
/// </summary>
public sealed class AgentHeartbeat(PluginClient plugin, AgentIdentity identity, IConfiguration configuration, ILogger<AgentHeartbeat> logger) : BackgroundService
{
    private readonly TimeSpan interval = TimeSpan.FromSeconds(double.TryParse(configuration["agent:report_interval"], System.Globalization.CultureInfo.InvariantCulture, out var s) && s > 0 ? s : 30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var first = true;
        using var timer = new PeriodicTimer(interval);
        do
        {
            try
            {
                await plugin.CallReportStateAsync(new ReportState(identity.AgentType, identity.Binary, identity.Topic, identity.Host,
                    configuration["agent:availability_zone"] ?? "nova", identity.Configurations(), first), stoppingToken);
                first = false;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("report_state to the network server failed: {Error}", e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}

/// <summary>Who an agent is, and the configuration it reports.</summary>
public sealed record AgentIdentity(string AgentType, string Binary, string Topic, string Host, Func<IReadOnlyDictionary<string, object?>> Configurations);

public static class AgentHeartbeatExtensions
{
    /// <summary>Makes this process report state as <paramref name="agentType"/> on its host.</summary>
    public static IHostApplicationBuilder AddAgentHeartbeat(this IHostApplicationBuilder builder, string agentType, string binary, string topic,
        Func<IConfiguration, IReadOnlyDictionary<string, object?>> configurations)
    {
        var host = builder.Configuration[MessagingExtensions.HostKey] ?? Environment.MachineName;
        builder.Services.AddSingleton(new AgentIdentity(agentType, binary, topic, host, () => configurations(builder.Configuration)));
        builder.Services.AddSingleton<PluginClient>();
        builder.Services.AddHostedService<AgentHeartbeat>();
        return builder;
    }

    /// <summary>A comma-separated option as a list (<c>tunnel_types = vxlan,gre</c>).</summary>
    public static string[] List(this IConfiguration configuration, string key, string fallback) =>
        (configuration[key] is { Length: > 0 } text ? text : fallback).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
