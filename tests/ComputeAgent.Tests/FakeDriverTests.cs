using ComputeAgent.Virt;
using ComputeAgent.Virt.Fake;
using Conductor.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Scheduler.Contracts;

namespace ComputeAgent.Tests;

public sealed class FakeDriverTests
{
    private static readonly ImageSpec image = new() { Id = "image-1" };

    private static FakeDriver Driver(string node = "node-1", FakeDriverOptions? options = null) =>
        new(node, options ?? new FakeDriverOptions(), NullLogger<FakeDriver>.Instance);

    private static InstanceInfo Instance() => TestConductorState.NewInstance("node-1");

    [Fact]
    public async Task Spawn_runs_the_guest_and_destroy_forgets_it_idempotently()
    {
        var driver = Driver();
        var instance = Instance();
        await driver.SpawnAsync(instance, image, null, [], [], CancellationToken.None);
        Assert.Equal(PowerStates.Running, driver.GetPowerState(instance.Uuid));
        Assert.Equal([new VirtInstance(instance.Uuid, PowerStates.Running)], driver.ListInstances());
        await driver.DestroyAsync(instance.Uuid, CancellationToken.None);
        await driver.DestroyAsync(instance.Uuid, CancellationToken.None);
        Assert.Null(driver.GetPowerState(instance.Uuid));
        Assert.Empty(driver.ListInstances());
    }

    [Fact]
    public async Task Power_operations_move_the_power_state()
    {
        var driver = Driver();
        var instance = Instance();
        await driver.SpawnAsync(instance, image, null, [], [], CancellationToken.None);
        await driver.PowerOffAsync(instance, CancellationToken.None);
        Assert.Equal(PowerStates.Shutdown, driver.GetPowerState(instance.Uuid));
        await Assert.ThrowsAsync<InvalidOperationException>(() => driver.RebootAsync(instance, hard: false, CancellationToken.None));
        await driver.PowerOnAsync(instance, CancellationToken.None);
        Assert.Equal(PowerStates.Running, driver.GetPowerState(instance.Uuid));
        await driver.PauseAsync(instance, CancellationToken.None);
        Assert.Equal(PowerStates.Paused, driver.GetPowerState(instance.Uuid));
        await driver.UnpauseAsync(instance, CancellationToken.None);
        await driver.SuspendAsync(instance, CancellationToken.None);
        Assert.Equal(PowerStates.Suspended, driver.GetPowerState(instance.Uuid));
        await driver.ResumeAsync(instance, CancellationToken.None);
        await driver.RebootAsync(instance, hard: false, CancellationToken.None);
        Assert.Equal(PowerStates.Running, driver.GetPowerState(instance.Uuid));
    }

    [Fact]
    public async Task A_guest_it_does_not_have_cannot_be_paused_but_a_hard_reboot_or_power_on_defines_it_again()
    {
        var driver = Driver();
        var instance = Instance();
        await Assert.ThrowsAsync<VirtInstanceNotFoundException>(() => driver.PauseAsync(instance, CancellationToken.None));
        await Assert.ThrowsAsync<VirtInstanceNotFoundException>(() => driver.SnapshotAsync(instance, CancellationToken.None));
        await driver.PowerOffAsync(instance, CancellationToken.None);
        Assert.Null(driver.GetPowerState(instance.Uuid));
        await driver.RebootAsync(instance, hard: true, CancellationToken.None);
        Assert.Equal(PowerStates.Running, driver.GetPowerState(instance.Uuid));
    }

    [Fact]
    public async Task Spawn_fails_on_the_hosts_named_for_failure_or_everywhere()
    {
        var some = new FakeDriverOptions { FailSpawnHosts = new HashSet<string> { "bad" } };
        await Assert.ThrowsAsync<InvalidOperationException>(() => Driver("bad", some).SpawnAsync(Instance(), image, null, [], [], CancellationToken.None));
        await Driver("good", some).SpawnAsync(Instance(), image, null, [], [], CancellationToken.None);
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Driver("good", new FakeDriverOptions { FailSpawnAll = true }).SpawnAsync(Instance(), image, null, [], [], CancellationToken.None));
    }

    [Fact]
    public async Task Console_output_and_snapshot_mention_the_instance()
    {
        var driver = Driver();
        var instance = Instance() with
        {
            NetworkInfo = [new VifInfo { PortId = "p1", NetworkId = "n1", MacAddress = "fa:16:3e:00:00:01", Addresses = [new FixedAddress("10.0.0.5", 4)] }],
        };
        Assert.Null(driver.GetConsoleOutput(instance.Uuid));
        await driver.SpawnAsync(instance, image, null, instance.NetworkInfo, [], CancellationToken.None);
        var console = driver.GetConsoleOutput(instance.Uuid)!;
        Assert.Contains(instance.Uuid, console);
        Assert.Contains("10.0.0.5", console);
        await using var disk = await driver.SnapshotAsync(instance, CancellationToken.None);
        using var reader = new StreamReader(disk);
        Assert.Contains(instance.Uuid, await reader.ReadToEndAsync());
    }

    [Fact]
    public void Options_and_resources_come_from_the_fake_section()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["fake:vcpus"] = "8",
            ["fake:memory_mb"] = "4096",
            ["fake:fail_spawn_hosts"] = "a, b",
            ["fake:spawn_delay_ms"] = "25",
            ["fake:wait_for_vif_plugged"] = "true",
        }).Build();
        var options = FakeDriverOptions.FromConfiguration(configuration);
        Assert.Equal(TimeSpan.FromMilliseconds(25), options.SpawnDelay);
        Assert.True(options.FailSpawnHosts.SetEquals(["a", "b"]));
        var driver = Driver(options: options);
        Assert.True(driver.WaitsForVifPlugged);
        Assert.False(driver.NeedsImageData);
        var resources = driver.GetHostResources();
        Assert.Equal(8, resources.Vcpus);
        Assert.Equal(4096, resources.MemoryMb);
        Assert.Equal(1024, resources.LocalGb);
        Assert.Equal("fake", resources.HypervisorType);
    }

    [Fact]
    public void An_unknown_driver_name_is_refused_with_a_clear_message()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["compute:driver"] = "libvirt" }).Build();
        var e = Assert.Throws<InvalidOperationException>(() => VirtDrivers.Configured(configuration));
        Assert.Contains("libvirt", e.Message);
        Assert.Contains("fake", e.Message);
    }

    [Fact]
    public void Host_names_and_provider_uuids_are_stable()
    {
        var settings = new ComputeSettings { Host = "cmp", HostCount = 3 };
        Assert.Equal(["cmp", "cmp-2", "cmp-3"], settings.HostNames);
        Assert.Equal(ComputeHosts.ProviderUuidFor("cmp-2"), ComputeHosts.ProviderUuidFor("cmp-2"));
        Assert.NotEqual(ComputeHosts.ProviderUuidFor("cmp"), ComputeHosts.ProviderUuidFor("cmp-2"));
        Assert.Equal('5', ComputeHosts.ProviderUuidFor("cmp")[14]);
    }

    [Fact]
    public async Task A_file_volume_is_given_to_the_guest_only_when_its_path_is_reachable()
    {
        var driver = Driver();
        var instance = Instance();
        var file = Path.GetTempFileName();
        try
        {
            await using (var f = File.OpenWrite(file)) f.SetLength(1L << 30);
            var boot = new VolumeMount("vol-root", "/dev/vda", "file", new Dictionary<string, string> { ["path"] = file });
            await driver.SpawnAsync(instance, image, null, [], [boot], CancellationToken.None);
            Assert.Contains("[vda] 2097152 512-byte logical blocks", driver.GetConsoleOutput(instance.Uuid));

            var missing = new VolumeMount("vol-x", "/dev/vdb", "file", new Dictionary<string, string> { ["path"] = file + ".absent" });
            await Assert.ThrowsAsync<InvalidOperationException>(() => driver.AttachVolumeAsync(instance, missing, CancellationToken.None));
            Assert.Equal(["vol-root"], driver.GetVolumes(instance.Uuid).Keys);

            var data = new VolumeMount("vol-data", "/dev/vdb", "file", new Dictionary<string, string> { ["path"] = file });
            await driver.AttachVolumeAsync(instance, data, CancellationToken.None);
            Assert.Equal(["vol-data", "vol-root"], driver.GetVolumes(instance.Uuid).Keys.Order());
            await driver.DetachVolumeAsync(instance, "vol-data", CancellationToken.None);
            await driver.DetachVolumeAsync(instance, "vol-data", CancellationToken.None);
            Assert.Equal(["vol-root"], driver.GetVolumes(instance.Uuid).Keys);
            Assert.Contains("[vdb] removed", driver.GetConsoleOutput(instance.Uuid));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
