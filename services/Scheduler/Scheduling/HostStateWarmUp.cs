namespace Scheduler.Scheduling;

/// <summary>
/// Loads the host-state view at start, so the first select_destinations does not pay for
/// reading every compute node. A failure (database not synced yet) leaves it to the first call.
/// </summary>
public sealed class HostStateWarmUp(FilterScheduler scheduler, ILogger<HostStateWarmUp> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            var count = await scheduler.WarmUpAsync(stoppingToken);
            logger.LogInformation("host state view loaded: {Count} compute node(s)", count);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            logger.LogDebug("host state view not loaded at start ({Error}); the first request loads it", e.Message);
        }
    }
}
