using Conductor.Contracts;
using Platform.TestSupport;

namespace Conductor.Tests;

/// <summary>os-services: heartbeats register services; disable and force-down reach placement and the agents.</summary>
public sealed class ComputeServiceTests(MySqlFixture mysql, RabbitMqFixture rabbit)
    : ConductorTestBase(mysql, rabbit, "condsvc"), IClassFixture<MySqlFixture>, IClassFixture<RabbitMqFixture>
{
    [Fact]
    public async Task Services_report_list_disable_force_down_and_delete()
    {
        var first = await Conductor.CallComputeServiceReportAsync(new ComputeServiceReport("svc-host-1", "nova-compute", "nova", StartFlag: true));
        Assert.False(first.Disabled);
        Assert.False(first.ForcedDown);
        var again = await Conductor.CallComputeServiceReportAsync(new ComputeServiceReport("svc-host-1", "nova-compute", "nova", StartFlag: false));
        Assert.Equal(first.ServiceUuid, again.ServiceUuid);
        await Conductor.CallComputeServiceReportAsync(new ComputeServiceReport("svc-host-2", "nova-compute", null, StartFlag: true));

        var listed = (await Conductor.CallListComputeServicesAsync(new ListComputeServices())).Services;
        Assert.Equal(2, listed.Count);
        var one = Assert.Single(listed, s => s.Host == "svc-host-1");
        Assert.True(one.Up);
        Assert.Equal("nova", one.Zone);
        Assert.True(one.Id > 0);
        Assert.Equal(first.ServiceUuid, one.Uuid);
        Assert.Single((await Conductor.CallListComputeServicesAsync(new ListComputeServices(Host: "svc-host-2"))).Services);

        var disabled = await Conductor.CallUpdateComputeServiceAsync(new UpdateComputeService { Uuid = one.Uuid, Disabled = true, DisabledReason = "maintenance" });
        Assert.True(disabled.Service!.Disabled);
        Assert.Equal("maintenance", disabled.Service.DisabledReason);
        var status = Assert.Single(Placement.Statuses);
        Assert.Equal("svc-host-1", status.Host);
        Assert.True(status.Disabled);
        Assert.Equal("maintenance", status.DisabledReason);
        Assert.True((await Conductor.CallComputeServiceReportAsync(new ComputeServiceReport("svc-host-1", "nova-compute", "nova", false))).Disabled);

        var down = await Conductor.CallUpdateComputeServiceAsync(new UpdateComputeService { Host = "svc-host-1", Binary = "nova-compute", ForcedDown = true });
        Assert.True(down.Service!.ForcedDown);
        Assert.False(down.Service.Up);
        Assert.True(down.Service.Disabled);
        Assert.True(Placement.Statuses.Last().ForcedDown);

        var enabled = await Conductor.CallUpdateComputeServiceAsync(new UpdateComputeService { Uuid = one.Uuid, Disabled = false, ForcedDown = false });
        Assert.False(enabled.Service!.Disabled);
        Assert.Null(enabled.Service.DisabledReason);
        Assert.True(enabled.Service.Up);

        Assert.Null((await Conductor.CallUpdateComputeServiceAsync(new UpdateComputeService { Uuid = NewUuid(), Disabled = true })).Service);
        Assert.True((await Conductor.CallDeleteComputeServiceAsync(one.Uuid)).Deleted);
        Assert.False((await Conductor.CallDeleteComputeServiceAsync(one.Uuid)).Deleted);
        Assert.Single((await Conductor.CallListComputeServicesAsync(new ListComputeServices())).Services);
    }

    [Fact]
    public async Task A_service_hosting_instances_cannot_be_deleted()
    {
        var uuid = NewUuid();
        await BuildActiveAsync(uuid);
        var report = await Conductor.CallComputeServiceReportAsync(new ComputeServiceReport("host-1", "nova-compute", "nova", true));
        var refused = await Conductor.CallDeleteComputeServiceAsync(report.ServiceUuid);
        Assert.False(refused.Deleted);
        Assert.Contains("hosting instances", refused.ConflictMessage);
    }
}
