using Microsoft.Extensions.Hosting;

namespace Platform.Auth.Policy;

/// <summary>Loads the policy as the service starts, so a broken policy file stops it there.</summary>
internal sealed class PolicyStartupCheck(IPolicyEnforcer enforcer) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        GC.KeepAlive(enforcer);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
