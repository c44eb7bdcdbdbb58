using Dapper;
using Platform.Data;
using Volume.Backends;
using Volume.Common;
using Volume.Scheduling;

namespace Volume.Services;

/// <summary>
/// The heartbeat of this process's services (cinder's report_state): a scheduler row when it
/// runs the scheduler, and a row per backend with what the backend measured of its storage,
/// every <c>report_interval</c>. The first report is made at start, so a new backend takes
/// volumes at once. A disabled service stays disabled: a report never touches that.
/// </summary>
public sealed class ServiceReporter(IDbConnectionFactory db, VolumeSettings settings, VolumeBackends backends, TimeProvider time, ILogger<ServiceReporter> logger)
    : BackgroundService
{
    public const string SchedulerBinary = "cinder-scheduler";
    public const string VolumeBinary = "cinder-volume";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ReportAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "could not report the volume services' state");
            }
            try
            {
                await Task.Delay(settings.ReportInterval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async Task ReportAsync(CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        var now = time.GetUtcNow().UtcDateTime;
        if (settings.Runs(VolumeSettings.SchedulerRole))
            await UpsertAsync(c, settings.Host, SchedulerBinary, null, now);
        foreach (var backend in backends.All)
        {
            var capacity = await backend.Driver.GetCapacityAsync(cancellationToken);
            var allocated = await c.ExecuteScalarAsync<long>(
                "SELECT CAST(COALESCE(SUM(size), 0) AS SIGNED) FROM volumes WHERE deleted = 0 AND host LIKE CONCAT(@host, '#%')", new { host = backend.BackendHost });
            var stats = new PoolStats
            {
                PoolName = backend.PoolName,
                VolumeBackendName = backend.BackendName,
                StorageProtocol = backend.Driver.StorageProtocol,
                TotalCapacityGb = capacity.TotalGb,
                FreeCapacityGb = capacity.FreeGb,
                AllocatedCapacityGb = allocated,
                ProvisionedCapacityGb = allocated,
                MaxOverSubscriptionRatio = backend.MaxOverSubscriptionRatio,
                ReservedPercentage = backend.ReservedPercentage,
            };
            await UpsertAsync(c, backend.BackendHost, VolumeBinary, stats.ToJson(), now);
        }
    }

    private async Task UpsertAsync(System.Data.Common.DbConnection c, string host, string binary, string? capabilities, DateTime now) =>
        await c.ExecuteAsync("""
            INSERT INTO services (uuid, host, `binary`, topic, report_count, disabled, availability_zone, capabilities, created_at, updated_at)
            VALUES (@uuid, @host, @binary, @binary, 1, 0, @zone, @capabilities, @now, @now)
            ON DUPLICATE KEY UPDATE report_count = report_count + 1, availability_zone = VALUES(availability_zone),
                                    capabilities = VALUES(capabilities), updated_at = VALUES(updated_at)
            """, new { uuid = Guid.NewGuid().ToString(), host, binary, zone = settings.StorageAvailabilityZone, capabilities, now });
}
