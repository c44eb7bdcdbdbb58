using System.Net;
using Dapper;
using MySqlConnector;

namespace Platform.Fleet.Tests;

/// <summary>The fleet started as separate processes: each deployable answers, each owns its schema.</summary>
[Collection(FleetCollection.Name)]
public sealed class FleetTests(FleetFixture fleet)
{
    [Fact]
    public void The_fleet_is_every_deployable_of_the_architecture()
    {
        Assert.Equal(
            ["compute-agent", "compute-api", "conductor", "dhcp-agent", "identity", "image", "l3-agent", "network-server", "ovs-agent", "scheduler", "volume"],
            fleet.Processes.Select(p => p.Deployable.Name).Order());
    }

    [Fact]
    public async Task Every_deployable_answers_healthz_and_readyz_with_a_request_id()
    {
        using var http = new HttpClient();
        foreach (var p in fleet.Processes)
        {
            var health = await http.GetAsync(new Uri(p.BaseUri, "/healthz"));
            Assert.True(health.StatusCode == HttpStatusCode.OK, $"{p.Deployable.Name} /healthz: {health.StatusCode}");
            Assert.StartsWith("req-", Assert.Single(health.Headers.GetValues("x-openstack-request-id")));
            var ready = await http.GetAsync(new Uri(p.BaseUri, "/readyz"));
            Assert.True(ready.StatusCode == HttpStatusCode.OK, $"{p.Deployable.Name} /readyz: {await ready.Content.ReadAsStringAsync()}");
        }
    }

    [Fact]
    public async Task Each_service_owns_a_separate_database_with_its_schema()
    {
        Assert.Equal(7, fleet.Databases.Count);
        Assert.Equal(7, fleet.Databases.Values.Select(c => new MySqlConnectionStringBuilder(c).Database).Distinct().Count());
        foreach (var (name, connection) in fleet.Databases)
        {
            await using var c = new MySqlConnection(connection);
            await c.OpenAsync();
            var tables = (await c.QueryAsync<string>("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()")).ToList();
            Assert.True(tables.Contains("schema_migrations") && tables.Contains("outbox_messages"), $"{name}: {string.Join(',', tables)}");
        }
    }

    [Fact]
    public async Task A_second_db_sync_of_a_running_service_changes_nothing()
    {
        var image = fleet.Processes.Single(p => p.Deployable.Name == "image");
        await using var c = new MySqlConnection(fleet.Databases["image"]);
        var before = (await c.QueryAsync<string>("SELECT CONCAT(component, version, applied_at) FROM schema_migrations ORDER BY 1")).ToList();
        Assert.Equal(0, await image.RunCommandAsync("db", "sync"));
        Assert.Equal(before, await c.QueryAsync<string>("SELECT CONCAT(component, version, applied_at) FROM schema_migrations ORDER BY 1"));
    }

    [Fact]
    public async Task An_unknown_command_is_refused()
    {
        Assert.Equal(2, await fleet.Processes.Single(p => p.Deployable.Name == "conductor").RunCommandAsync("db", "frobnicate"));
    }
}
