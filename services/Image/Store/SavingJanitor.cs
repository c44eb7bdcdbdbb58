using Dapper;
using Platform.Data;

namespace Image.Store;

/// <summary>
/// The way forward for an upload whose process died: an image left in <c>saving</c> that no
/// upload has touched for <c>image:saving_timeout</c> seconds (120) is killed, and partial data
/// that idle is removed from the store. Safe with many instances: each step is conditional.
/// </summary>
public sealed class SavingJanitor(IDbConnectionFactory db, IImageDataStore store, IConfiguration configuration, ILogger<SavingJanitor> logger) : BackgroundService
{
    private TimeSpan Timeout => TimeSpan.FromSeconds(int.TryParse(configuration["image:saving_timeout"], out var s) && s > 0 ? s : 120);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("saving images not swept: {Error}", e.Message);
            }
            await Task.Delay(Timeout / 4, stoppingToken);
        }
    }

    public async Task SweepAsync(CancellationToken cancellationToken = default)
    {
        var timeout = Timeout;
        await using (var c = await db.OpenAsync(cancellationToken))
        {
            var killed = await c.ExecuteAsync(
                "UPDATE images SET status = 'killed', size = NULL, updated_at = UTC_TIMESTAMP(6) WHERE status = 'saving' AND updated_at < UTC_TIMESTAMP(6) - INTERVAL @seconds SECOND",
                new { seconds = (int)timeout.TotalSeconds });
            if (killed > 0) logger.LogWarning("killed {Count} images whose upload stopped more than {Seconds} s ago", killed, (int)timeout.TotalSeconds);
        }
        var removed = await store.RemoveAbandonedAsync(timeout);
        if (removed > 0) logger.LogInformation("removed {Count} abandoned partial uploads", removed);
    }
}
