using System.Net;
using System.Text.Json;
using Conductor.Contracts;
using Dapper;
using MySqlConnector;
using Platform.TestSupport;

namespace ComputeApi.Tests;

/// <summary>os-hypervisors from placement's compute nodes: integer ids before 2.53, uuids and query parameters from 2.53.</summary>
public sealed class HypervisorTests(MySqlFixture mysql, RabbitMqFixture rabbit)
    : InfrastructureTestBase(mysql, rabbit, "capihyp"), IClassFixture<MySqlFixture>, IClassFixture<RabbitMqFixture>
{
    private void TwoNodes()
    {
        if (!Nodes.Nodes.IsEmpty) return;
        Nodes.AddNode(1, "compute-1", vcpusUsed: 2, ramUsed: 1024, diskUsed: 10, runningVms: 2);
        Nodes.AddNode(2, "compute-2", up: false, disabled: true);
        Conductor.OnListServices = _ => new ComputeServicesReply(
        [
            new ComputeServiceInfo { Id = 7, Uuid = "7d9a7a4e-5a43-4d5b-9b1b-7b7b7b7b7b01", Host = "compute-1", Binary = "nova-compute", Up = true },
            new ComputeServiceInfo { Id = 8, Uuid = "7d9a7a4e-5a43-4d5b-9b1b-7b7b7b7b7b02", Host = "compute-2", Binary = "nova-compute", Disabled = true, DisabledReason = "maintenance" },
        ]);
    }

    [Fact]
    public async Task Hypervisors_list_detail_show_and_statistics_at_2_1()
    {
        TwoNodes();
        var list = await GetAsync("/v2.1/os-hypervisors", Admin);
        AssertStatus(HttpStatusCode.OK, list);
        var first = list.Body.GetProperty("hypervisors")[0];
        Assert.Equal(1, first.GetProperty("id").GetInt32());
        Assert.Equal("compute-1.example.org", first.GetProperty("hypervisor_hostname").GetString());
        Assert.Equal("up", first.GetProperty("state").GetString());
        Assert.Equal("enabled", first.GetProperty("status").GetString());
        Assert.False(first.TryGetProperty("vcpus", out _));
        Assert.Equal("down", list.Body.GetProperty("hypervisors")[1].GetProperty("state").GetString());
        Assert.Equal("disabled", list.Body.GetProperty("hypervisors")[1].GetProperty("status").GetString());

        var detail = (await GetAsync("/v2.1/os-hypervisors/detail", Admin)).Body.GetProperty("hypervisors")[0];
        Assert.Equal(8, detail.GetProperty("vcpus").GetInt32());
        Assert.Equal(2, detail.GetProperty("vcpus_used").GetInt32());
        Assert.Equal(16384, detail.GetProperty("memory_mb").GetInt32());
        Assert.Equal(1536, detail.GetProperty("memory_mb_used").GetInt32());
        Assert.Equal(16384 - 1536, detail.GetProperty("free_ram_mb").GetInt32());
        Assert.Equal(100, detail.GetProperty("local_gb").GetInt32());
        Assert.Equal(90, detail.GetProperty("free_disk_gb").GetInt32());
        Assert.Equal(2, detail.GetProperty("running_vms").GetInt32());
        Assert.Equal("fake", detail.GetProperty("hypervisor_type").GetString());
        Assert.Equal("192.0.2.1", detail.GetProperty("host_ip").GetString());
        Assert.Equal(7, detail.GetProperty("service").GetProperty("id").GetInt32());
        Assert.Equal("compute-1", detail.GetProperty("service").GetProperty("host").GetString());
        Assert.Equal(JsonValueKind.String, detail.GetProperty("cpu_info").ValueKind);

        var shown = (await GetAsync("/v2.1/os-hypervisors/2", Admin)).Body.GetProperty("hypervisor");
        Assert.Equal("maintenance", shown.GetProperty("service").GetProperty("disabled_reason").GetString());
        AssertError(HttpStatusCode.NotFound, await GetAsync("/v2.1/os-hypervisors/99", Admin));

        var stats = (await GetAsync("/v2.1/os-hypervisors/statistics", Admin)).Body.GetProperty("hypervisor_statistics");
        Assert.Equal(2, stats.GetProperty("count").GetInt32());
        Assert.Equal(16, stats.GetProperty("vcpus").GetInt32());
        Assert.Equal(2, stats.GetProperty("vcpus_used").GetInt32());
        Assert.Equal(2, stats.GetProperty("running_vms").GetInt32());

        var search = (await GetAsync("/v2.1/os-hypervisors/compute-2/search", Admin)).Body.GetProperty("hypervisors");
        Assert.Equal(2, Assert.Single(search.EnumerateArray()).GetProperty("id").GetInt32());
        AssertError(HttpStatusCode.NotFound, await GetAsync("/v2.1/os-hypervisors/nomatch/search", Admin));
        AssertStatus(HttpStatusCode.OK, await GetAsync("/v2.1/os-hypervisors/compute/servers", Admin));
        var uptime = (await GetAsync("/v2.1/os-hypervisors/1/uptime", Admin)).Body.GetProperty("hypervisor");
        Assert.Contains(" up ", uptime.GetProperty("uptime").GetString());
    }

    [Fact]
    public async Task From_2_53_ids_are_uuids_and_search_is_a_query_parameter()
    {
        TwoNodes();
        var uuid = Nodes.Nodes.Single(n => n.Id == 1).ProviderUuid;
        var list = (await GetAsync("/v2.1/os-hypervisors/detail?hypervisor_hostname_pattern=compute-1", Admin, "2.53")).Body.GetProperty("hypervisors");
        var only = Assert.Single(list.EnumerateArray());
        Assert.Equal(uuid, only.GetProperty("id").GetString());
        Assert.Equal("7d9a7a4e-5a43-4d5b-9b1b-7b7b7b7b7b01", only.GetProperty("service").GetProperty("id").GetString());
        Assert.Equal(JsonValueKind.Object, only.GetProperty("cpu_info").ValueKind);
        Assert.Equal("x86_64", only.GetProperty("cpu_info").GetProperty("arch").GetString());

        // A server in the read model on compute-1's node, and a deleted one that is not shown.
        var server = Guid.NewGuid().ToString();
        await using (var c = new MySqlConnection(Database))
        {
            await c.ExecuteAsync("""
                INSERT INTO instances (uuid, version, project_id, display_name, vm_state, host, node, data, created_at, deleted)
                VALUES (@server, 2, 'project-a', 'vm-1', 'active', 'compute-1', 'compute-1.example.org', '{}', UTC_TIMESTAMP(6), 0),
                       (@gone, 3, 'project-a', 'vm-0', 'deleted', 'compute-1', 'compute-1.example.org', '{}', UTC_TIMESTAMP(6), 1)
                """, new { server, gone = Guid.NewGuid().ToString() });
        }
        var shown = await GetAsync($"/v2.1/os-hypervisors/{uuid}?with_servers=true", Admin, "2.53");
        AssertStatus(HttpStatusCode.OK, shown);
        Assert.Equal(uuid, shown.Body.GetProperty("hypervisor").GetProperty("id").GetString());
        var onNode = Assert.Single(shown.Body.GetProperty("hypervisor").GetProperty("servers").EnumerateArray());
        Assert.Equal(server, onNode.GetProperty("uuid").GetString());
        Assert.Equal("vm-1", onNode.GetProperty("name").GetString());
        var listedWith = (await GetAsync("/v2.1/os-hypervisors?with_servers=true", Admin, "2.53")).Body.GetProperty("hypervisors");
        Assert.Equal(server, listedWith[0].GetProperty("servers")[0].GetProperty("uuid").GetString());
        Assert.False(listedWith[1].TryGetProperty("servers", out _));
        var legacy = (await GetAsync("/v2.1/os-hypervisors/compute-1/servers", Admin)).Body.GetProperty("hypervisors");
        Assert.Equal(server, Assert.Single(legacy.EnumerateArray()).GetProperty("servers")[0].GetProperty("uuid").GetString());
        AssertError(HttpStatusCode.BadRequest, await GetAsync("/v2.1/os-hypervisors/1", Admin, "2.53"));
        AssertError(HttpStatusCode.NotFound, await GetAsync($"/v2.1/os-hypervisors/{Guid.NewGuid()}", Admin, "2.53"));
        AssertError(HttpStatusCode.NotFound, await GetAsync("/v2.1/os-hypervisors?hypervisor_hostname_pattern=nomatch", Admin, "2.53"));
        AssertError(HttpStatusCode.NotFound, await GetAsync("/v2.1/os-hypervisors/compute/search", Admin, "2.53"));

        var paged = (await GetAsync($"/v2.1/os-hypervisors?limit=1&marker={uuid}", Admin, "2.53")).Body.GetProperty("hypervisors");
        Assert.Equal(Nodes.Nodes.Single(n => n.Id == 2).ProviderUuid, Assert.Single(paged.EnumerateArray()).GetProperty("id").GetString());
    }

    [Fact]
    public async Task Only_admins_see_hypervisors()
    {
        TwoNodes();
        foreach (var path in new[] { "/v2.1/os-hypervisors", "/v2.1/os-hypervisors/detail", "/v2.1/os-hypervisors/statistics", "/v2.1/os-hypervisors/1" })
            Assert.Contains("Policy doesn't allow", AssertError(HttpStatusCode.Forbidden, await GetAsync(path, A)));
    }
}
