using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Scheduler.Placement;
using Scheduler.Scheduling;
using Xunit.Abstractions;
using static Scheduler.Tests.HostStates;

namespace Scheduler.Tests;

public sealed class RankTimingTests(ITestOutputHelper output)
{
    [Fact]
    public void Filtering_and_weighing_ten_thousand_hosts()
    {
        var hosts = Enumerable.Range(0, 10_000).Select(i => Make($"h{i}", vcpus: 32 + i % 4, ramMb: 131072 + i % 8 * 1024, failedBuilds: i % 97 == 0 ? 1 : 0)).ToList();
        var options = new SchedulerOptions();
        var scheduler = new FilterScheduler(new PlacementStore(null!, TimeProvider.System), options, TimeProvider.System, NullLogger<FilterScheduler>.Instance);
        var request = Request(Spec(Flavor(vcpus: 2, ram: 4096, root: 40)));
        for (var i = 0; i < 20; i++) scheduler.RankHosts(hosts, request);
        var clock = Stopwatch.StartNew();
        var cpu = Environment.CurrentManagedThreadId;
        var before = Process.GetCurrentProcess().TotalProcessorTime;
        for (var i = 0; i < 100; i++) Assert.True(scheduler.RankHosts(hosts, request).Count > 0);
        var used = Process.GetCurrentProcess().TotalProcessorTime - before;
        // Measured, never asserted: the machine may be busy; the bench scenario gives the real figures.
        output.WriteLine($"rank of 10,000 hosts: {clock.Elapsed.TotalMilliseconds / 100:F2} ms wall, {used.TotalMilliseconds / 100:F2} ms CPU (thread {cpu})");
    }
}
