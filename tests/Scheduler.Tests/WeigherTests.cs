using Microsoft.Extensions.Configuration;
using Scheduler.Contracts;
using Scheduler.Scheduling;
using Scheduler.Weighers;
using static Scheduler.Tests.HostStates;

namespace Scheduler.Tests;

public sealed class WeigherTests
{
    [Fact]
    public void Normalize_maps_min_to_0_and_max_to_1_and_equal_weights_to_0()
    {
        Assert.Equal([0.0, 0.5, 1.0], HostWeighing.Normalize([10, 20, 30]));
        Assert.Equal([0.0, 0.0], HostWeighing.Normalize([5, 5]));
        Assert.Empty(HostWeighing.Normalize([]));
    }

    [Fact]
    public void RAM_disk_and_CPU_weighers_weigh_free_capacity()
    {
        var request = Request();
        var host = Make("h", vcpus: 8, ramMb: 4096, diskGb: 50, cpuRatio: 2, used: new() { ["VCPU"] = 3, ["MEMORY_MB"] = 1024, ["DISK_GB"] = 10 });
        Assert.Equal(3072, new RAMWeigher().Weigh(host, request));
        Assert.Equal(40, new DiskWeigher().Weigh(host, request));
        Assert.Equal(13, new CPUWeigher().Weigh(host, request));
    }

    [Fact]
    public void Spreading_prefers_the_emptier_host_and_a_negative_multiplier_stacks()
    {
        var empty = Make("empty", ramMb: 8192);
        var busy = Make("busy", ramMb: 8192, used: new() { ["MEMORY_MB"] = 4096 });
        IReadOnlyList<IHostWeigher> ram = [new RAMWeigher()];
        var spread = HostWeighing.Weigh([empty, busy], ram, Request());
        Assert.True(spread[0] > spread[1]);
        var stack = HostWeighing.Weigh([empty, busy], ram, Request(options: new SchedulerOptions { RamWeightMultiplier = -1 }));
        Assert.True(stack[1] > stack[0]);
    }

    [Fact]
    public void BuildFailureWeigher_outweighs_free_capacity()
    {
        var failing = Make("failing", ramMb: 65536, failedBuilds: 3);
        var small = Make("small", ramMb: 2048);
        var weights = HostWeighing.Weigh([failing, small], FilterScheduler.AllWeighers, Request());
        Assert.Equal(-3, new BuildFailureWeigher().Weigh(failing, Request()));
        Assert.True(weights[1] > weights[0]);
    }

    [Fact]
    public void Soft_affinity_weighers_count_group_members()
    {
        var soft = Spec() with { InstanceGroup = new InstanceGroupSpec { Uuid = "g", Policy = "soft-affinity", Hosts = ["h1", "h1", "h2"] } };
        var anti = soft with { InstanceGroup = soft.InstanceGroup! with { Policy = "soft-anti-affinity" } };
        var h1 = Make("h1");
        var h3 = Make("h3");
        Assert.Equal(2, new ServerGroupSoftAffinityWeigher().Weigh(h1, Request(soft)));
        Assert.Equal(0, new ServerGroupSoftAffinityWeigher().Weigh(h1, Request(anti)));
        Assert.Equal(-2, new ServerGroupSoftAntiAffinityWeigher().Weigh(h1, Request(anti)));
        var together = HostWeighing.Weigh([h1, h3], [new ServerGroupSoftAffinityWeigher()], Request(soft));
        Assert.True(together[0] > together[1]);
        var apart = HostWeighing.Weigh([h1, h3], [new ServerGroupSoftAntiAffinityWeigher()], Request(anti));
        Assert.True(apart[1] > apart[0]);
    }

    [Fact]
    public void Options_read_multipliers_filters_and_weighers_from_configuration()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["filter_scheduler:ram_weight_multiplier"] = "-2.5",
            ["filter_scheduler:enabled_filters"] = "ComputeFilter, nova.scheduler.filters.retry_filter.RetryFilter",
            ["scheduler:max_attempts"] = "5",
            ["default_availability_zone"] = "zone-x",
        }).Build();
        var options = SchedulerOptions.FromConfiguration(configuration);
        Assert.Equal(-2.5, options.RamWeightMultiplier);
        Assert.Equal(["ComputeFilter", "RetryFilter"], options.EnabledFilters);
        Assert.Equal(5, options.MaxAttempts);
        Assert.Equal("zone-x", options.DefaultAvailabilityZone);
        Assert.Equal(1_000_000, options.BuildFailureWeightMultiplier);
    }
}
