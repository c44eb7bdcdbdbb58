using Scheduler.Contracts;
using Scheduler.Filters;
using Scheduler.Placement;
using Scheduler.Scheduling;
using static Scheduler.Tests.HostStates;

namespace Scheduler.Tests;

public sealed class FilterTests
{
    [Fact]
    public void RetryFilter_refuses_hosts_already_tried()
    {
        var request = Request(Spec() with { IgnoreHosts = ["h1"] });
        Assert.False(new RetryFilter().HostPasses(Make("h1"), request));
        Assert.True(new RetryFilter().HostPasses(Make("h2"), request));
        Assert.True(new RetryFilter().HostPasses(Make("h1"), Request()));
    }

    [Fact]
    public void AvailabilityZoneFilter_matches_the_aggregate_zone_or_the_default()
    {
        var filter = new AvailabilityZoneFilter();
        var inZone = Request(Spec() with { AvailabilityZone = "az1" });
        Assert.True(filter.HostPasses(Make("h1", zone: "az1"), inZone));
        Assert.False(filter.HostPasses(Make("h2"), inZone));
        Assert.True(filter.HostPasses(Make("h2"), Request(Spec() with { AvailabilityZone = "nova" })));
        Assert.True(filter.HostPasses(Make("h1", zone: "az1"), Request(Spec() with { AvailabilityZone = "az1:h1" })));
        Assert.True(filter.HostPasses(Make("h3", zone: "az9"), Request()));
    }

    [Fact]
    public void ComputeFilter_refuses_down_disabled_and_forced_down_hosts()
    {
        var filter = new ComputeFilter();
        var request = Request();
        Assert.True(filter.HostPasses(Make("up"), request));
        Assert.False(filter.HostPasses(Make("disabled", disabled: true), request));
        Assert.False(filter.HostPasses(Make("forced", forcedDown: true), request));
        Assert.False(filter.HostPasses(Make("silent", lastReport: DateTime.UtcNow.AddMinutes(-5)), request));
        Assert.True(filter.HostPasses(Make("silent", lastReport: DateTime.UtcNow.AddMinutes(-5)),
            Request(options: new SchedulerOptions { ServiceDownTime = TimeSpan.FromMinutes(10) })));
    }

    [Fact]
    public void ComputeCapabilitiesFilter_compares_unscoped_and_capabilities_scoped_specs()
    {
        var filter = new ComputeCapabilitiesFilter();
        var host = Make("h1", hypervisorType: "qemu", hypervisorVersion: 6002000);
        bool Passes(Dictionary<string, string> specs) => filter.HostPasses(host, Request(Spec(Flavor(extraSpecs: specs))));

        Assert.True(Passes([]));
        Assert.True(Passes(new() { ["hypervisor_type"] = "qemu" }));
        Assert.False(Passes(new() { ["hypervisor_type"] = "kvm" }));
        Assert.True(Passes(new() { ["capabilities:hypervisor_type"] = "s== qemu" }));
        Assert.True(Passes(new() { ["capabilities:hypervisor_version"] = ">= 6000000" }));
        Assert.False(Passes(new() { ["capabilities:hypervisor_version"] = ">= 7000000" }));
        Assert.True(Passes(new() { ["capabilities:cpu_info:arch"] = "x86_64" }));
        Assert.True(Passes(new() { ["capabilities:cpu_info:features"] = "<all-in> vmx avx" }));
        Assert.False(Passes(new() { ["capabilities:cpu_info:features"] = "<all-in> vmx svm" }));
        // Other scopes are other filters' business.
        Assert.True(Passes(new() { ["hw:cpu_policy"] = "dedicated", ["quota:cpu_shares"] = "1024" }));
        Assert.False(Passes(new() { ["capabilities:no_such_thing"] = "1" }));
        Assert.True(Passes(new() { ["vcpus_total"] = ">= 8", ["free_ram_mb"] = ">= 1024" }));
    }

    [Fact]
    public void ImagePropertiesFilter_matches_supported_instances()
    {
        var filter = new ImagePropertiesFilter();
        var host = Make("h1", supported: [new SupportedInstanceRecord("x86_64", "qemu", "hvm"), new SupportedInstanceRecord("i686", "qemu", "hvm")]);
        bool Passes(Dictionary<string, string> props) => filter.HostPasses(host, Request(Spec() with { Image = new ImageSpec { Properties = props } }));

        Assert.True(Passes([]));
        Assert.True(Passes(new() { ["hw_architecture"] = "x86_64" }));
        Assert.True(Passes(new() { ["hw_architecture"] = "amd64", ["img_hv_type"] = "qemu", ["hw_vm_mode"] = "hvm" }));
        Assert.False(Passes(new() { ["hw_architecture"] = "aarch64" }));
        Assert.False(Passes(new() { ["img_hv_type"] = "xen" }));
        Assert.False(Passes(new() { ["hw_vm_mode"] = "exe" }));
        Assert.False(filter.HostPasses(Make("bare", supported: []), Request(Spec() with { Image = new ImageSpec { Properties = new Dictionary<string, string> { ["hw_architecture"] = "x86_64" } } })));
    }

    [Fact]
    public void ServerGroupAffinityFilter_keeps_members_together()
    {
        var filter = new ServerGroupAffinityFilter();
        var group = new InstanceGroupSpec { Uuid = "g", Policy = "affinity", Hosts = ["h1"] };
        var request = Request(Spec() with { InstanceGroup = group });
        Assert.True(filter.HostPasses(Make("h1"), request));
        Assert.False(filter.HostPasses(Make("h2"), request));
        // The first member goes anywhere.
        Assert.True(filter.HostPasses(Make("h2"), Request(Spec() with { InstanceGroup = group with { Hosts = [] } })));
        Assert.True(filter.HostPasses(Make("h2"), Request(Spec() with { InstanceGroup = group with { Policy = "soft-affinity" } })));
    }

    [Fact]
    public void ServerGroupAntiAffinityFilter_honours_max_server_per_host()
    {
        var filter = new ServerGroupAntiAffinityFilter();
        var group = new InstanceGroupSpec { Uuid = "g", Policy = "anti-affinity", Hosts = ["h1", "h2", "h2"] };
        Assert.False(filter.HostPasses(Make("h1"), Request(Spec() with { InstanceGroup = group })));
        Assert.True(filter.HostPasses(Make("h3"), Request(Spec() with { InstanceGroup = group })));
        var two = group with { MaxServerPerHost = 2 };
        Assert.True(filter.HostPasses(Make("h1"), Request(Spec() with { InstanceGroup = two })));
        Assert.False(filter.HostPasses(Make("h2"), Request(Spec() with { InstanceGroup = two })));
        Assert.True(filter.HostPasses(Make("h1"), Request(Spec() with { InstanceGroup = group with { Policy = "soft-anti-affinity" } })));
    }

    [Fact]
    public void RequestedHostFilter_takes_host_zone_host_and_node()
    {
        var filter = new RequestedHostFilter();
        Assert.True(filter.HostPasses(Make("h1"), Request(Spec() with { RequestedHost = "h1" })));
        Assert.False(filter.HostPasses(Make("h2"), Request(Spec() with { RequestedHost = "h1" })));
        Assert.True(filter.HostPasses(Make("h1", zone: "az1"), Request(Spec() with { RequestedHost = "az1:h1" })));
        Assert.False(filter.HostPasses(Make("h1"), Request(Spec() with { RequestedHost = "az1:h1" })));
        Assert.True(filter.HostPasses(Make("h1"), Request(Spec() with { RequestedHost = "nova:h1:h1.node" })));
        Assert.False(filter.HostPasses(Make("h1"), Request(Spec() with { RequestedHost = "nova:h1:other" })));
    }

    [Fact]
    public void Flavor_resources_count_local_disks_and_leave_out_the_root_of_a_volume_backed_server()
    {
        var flavor = Flavor(vcpus: 2, ram: 2048, root: 20, ephemeral: 5, swap: 1536);
        Assert.Equal(new Dictionary<string, long> { ["VCPU"] = 2, ["MEMORY_MB"] = 2048, ["DISK_GB"] = 27 }, SchedulingRequest.ResourcesOf(flavor, isBfv: false));
        Assert.Equal(7, SchedulingRequest.ResourcesOf(flavor, isBfv: true)["DISK_GB"]);
        Assert.False(SchedulingRequest.ResourcesOf(Flavor(root: 0), isBfv: true).ContainsKey("DISK_GB"));
    }

    [Fact]
    public void Host_fit_respects_ratio_reserved_and_units()
    {
        var host = Make("h1", vcpus: 4, cpuRatio: 2, used: new() { ["VCPU"] = 7 });
        Assert.True(host.Fits(new Dictionary<string, long> { ["VCPU"] = 1 }));
        Assert.False(host.Fits(new Dictionary<string, long> { ["VCPU"] = 2 }));
        Assert.False(host.Fits(new Dictionary<string, long> { ["CUSTOM_GPU"] = 1 }));
        var stepped = new InventoryRecord("VCPU", 16, 2, 2, 8, 2, 1);
        Assert.Equal(14, stepped.Capacity);
        Assert.True(stepped.AcceptsUnit(4));
        Assert.False(stepped.AcceptsUnit(3));
        Assert.False(stepped.AcceptsUnit(10));
        Assert.False(stepped.AcceptsUnit(1));
    }
}
