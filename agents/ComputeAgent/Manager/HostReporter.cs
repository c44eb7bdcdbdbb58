using Conductor.Contracts;
using Scheduler.Contracts.Placement;

namespace ComputeAgent.Manager;

/// <summary>
/// The periodic duties of every host of this process, driven by one timer: the service heartbeat
/// to the conductor (<c>report_interval</c>), the node's report to placement
/// (<c>compute:resource_report_interval</c>), and once, after the first heartbeat goes through,
/// the start-up reconciliation. Hosts are spread over each interval so a hundred of them never
/// report in one burst after the first round; a failed report is logged and tried next time.
/// </summary>
public sealed class HostReporter(ComputeHosts hosts, ComputeSettings settings, IServiceScopeFactory scopes, ILogger<HostReporter> logger) : BackgroundService
{
    public const string Binary = "nova-compute";

    // Reports in flight at once, over all hosts: a hundred hosts starting together queue here
    // rather than flood the conductor and placement.
    private const int ConcurrentReports = 16;

    private readonly SemaphoreSlim inFlight = new(ConcurrentReports, ConcurrentReports);

    private sealed class Schedule
    {
        public DateTime NextService;
        public DateTime NextResource;
        public int ServiceBusy;
        public int ResourceBusy;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var count = hosts.All.Count;
        var start = DateTime.UtcNow;
        // Every host reports at once at start; after that each keeps its own slot in the interval.
        var schedules = hosts.All.Select(_ => new Schedule { NextService = start, NextResource = start }).ToArray();
        var shortest = TimeSpan.FromTicks(Math.Min(settings.ReportInterval.Ticks, settings.ResourceReportInterval.Ticks));
        var tick = TimeSpan.FromMilliseconds(Math.Clamp(shortest.TotalMilliseconds / 4, 50, 1000));
        using var timer = new PeriodicTimer(tick);
        do
        {
            var now = DateTime.UtcNow;
            for (var i = 0; i < count; i++)
            {
                var host = hosts.All[i];
                var schedule = schedules[i];
                var slot = count == 1 ? 0 : (double)i / count;
                if (now >= schedule.NextService && Interlocked.CompareExchange(ref schedule.ServiceBusy, 1, 0) == 0)
                {
                    _ = Task.Run(async () =>
                    {
                        try { await LimitedAsync(() => ReportServiceAsync(host, stoppingToken), stoppingToken); }
                        finally
                        {
                            schedule.NextService = NextSlot(start, settings.ReportInterval, slot);
                            Volatile.Write(ref schedule.ServiceBusy, 0);
                        }
                    }, CancellationToken.None);
                }
                if (now >= schedule.NextResource && Interlocked.CompareExchange(ref schedule.ResourceBusy, 1, 0) == 0)
                {
                    _ = Task.Run(async () =>
                    {
                        try { await LimitedAsync(() => ReportResourcesAsync(host, stoppingToken), stoppingToken); }
                        finally
                        {
                            schedule.NextResource = NextSlot(start, settings.ResourceReportInterval, slot);
                            Volatile.Write(ref schedule.ResourceBusy, 0);
                        }
                    }, CancellationToken.None);
                }
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private async Task LimitedAsync(Func<Task> report, CancellationToken stoppingToken)
    {
        try
        {
            await inFlight.WaitAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        try
        {
            await report();
        }
        finally
        {
            inFlight.Release();
        }
    }

    public override void Dispose()
    {
        inFlight.Dispose();
        base.Dispose();
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>The next time after now that falls on the host's offset within the interval.</summary>
    private static DateTime NextSlot(DateTime start, TimeSpan interval, double slot)
    {
        var origin = start + interval * slot;
        var now = DateTime.UtcNow;
        var periods = Math.Floor((now - origin) / interval) + 1;
        return origin + interval * Math.Max(1, periods);
    }

    private async Task ReportServiceAsync(ComputeHost host, CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(Math.Clamp(settings.ReportInterval.TotalSeconds * 3, 10, 60)));
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var conductor = scope.ServiceProvider.GetRequiredService<ConductorClient>();
            var reply = await conductor.CallComputeServiceReportAsync(
                new ComputeServiceReport(host.Name, Binary, settings.AvailabilityZone, StartFlag: !host.Registered), timeout.Token);
            host.Registered = true;
            host.Disabled = reply.Disabled || reply.ForcedDown;
            if (!host.Reconciled)
            {
                await scope.ServiceProvider.GetRequiredService<ComputeManager>().InitHostAsync(host, timeout.Token);
                host.Reconciled = true;
            }
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            logger.LogWarning("heartbeat of compute host {Host} failed ({Error}); trying again next interval", host.Name, e.Message);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ReportResourcesAsync(ComputeHost host, CancellationToken stoppingToken)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var placement = scope.ServiceProvider.GetRequiredService<Placement.PlacementClient>();
            await placement.ReportComputeNodeAsync(ResourceTracker.Report(host, settings),
                deadline: DateTime.UtcNow.AddSeconds(Math.Clamp(settings.ResourceReportInterval.TotalSeconds, 5, 30)), cancellationToken: stoppingToken);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            logger.LogWarning("resource report of compute node {Host} failed ({Error}); trying again next interval", host.Name, e.Message);
        }
        catch (Exception)
        {
        }
    }
}
