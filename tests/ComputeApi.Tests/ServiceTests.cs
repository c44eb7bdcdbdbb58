using System.Collections.Concurrent;
using System.Net;
using Conductor.Contracts;
using Platform.TestSupport;

namespace ComputeApi.Tests;

/// <summary>os-services through the conductor: list, the pre-2.53 disable/enable/force-down URLs, and PUT by uuid from 2.53.</summary>
public sealed class ServiceTests(MySqlFixture mysql, RabbitMqFixture rabbit)
    : InfrastructureTestBase(mysql, rabbit, "capisvc"), IClassFixture<MySqlFixture>, IClassFixture<RabbitMqFixture>
{
    private const string Uuid1 = "5b1f0e0a-2b0c-4c39-9a57-0d2d7a1a0001";
    private readonly ConcurrentDictionary<string, ComputeServiceInfo> services = new();

    private void ConductorKnowsTwoHosts()
    {
        services["compute-1"] = new ComputeServiceInfo { Id = 1, Uuid = Uuid1, Host = "compute-1", Binary = "nova-compute", Up = true, UpdatedAt = DateTime.UtcNow };
        services["compute-2"] = new ComputeServiceInfo { Id = 2, Uuid = "5b1f0e0a-2b0c-4c39-9a57-0d2d7a1a0002", Host = "compute-2", Binary = "nova-compute", Up = false };
        Conductor.OnListServices = q => new ComputeServicesReply(services.Values
            .Where(s => (q.Host is null || s.Host == q.Host) && (q.Binary is null || s.Binary == q.Binary)).OrderBy(s => s.Id).ToList());
        Conductor.OnUpdateService = u =>
        {
            var current = services.Values.FirstOrDefault(s => u.Uuid is not null ? s.Uuid == u.Uuid : s.Host == u.Host && s.Binary == u.Binary);
            if (current is null) return new UpdateComputeServiceReply(null);
            var updated = current with
            {
                Disabled = u.Disabled ?? current.Disabled,
                DisabledReason = u.DisabledReason is null ? current.DisabledReason : u.DisabledReason == "" ? null : u.DisabledReason,
                ForcedDown = u.ForcedDown ?? current.ForcedDown,
                Up = (u.ForcedDown ?? current.ForcedDown) ? false : current.Up,
            };
            services[current.Host] = updated;
            return new UpdateComputeServiceReply(updated);
        };
        Conductor.OnDeleteService = d =>
        {
            var current = services.Values.FirstOrDefault(s => s.Uuid == d.Uuid);
            if (current is null) return new DeleteComputeServiceReply(false);
            if (current.Host == "compute-1") return new DeleteComputeServiceReply(false, "Unable to delete compute service that is hosting instances.");
            services.TryRemove(current.Host, out _);
            return new DeleteComputeServiceReply(true);
        };
    }

    [Fact]
    public async Task Services_are_listed_with_zone_state_and_status()
    {
        ConductorKnowsTwoHosts();
        var list = await GetAsync("/v2.1/os-services", Admin);
        AssertStatus(HttpStatusCode.OK, list);
        var first = list.Body.GetProperty("services")[0];
        Assert.Equal(1, first.GetProperty("id").GetInt32());
        Assert.Equal("nova-compute", first.GetProperty("binary").GetString());
        Assert.Equal("nova", first.GetProperty("zone").GetString());
        Assert.Equal("up", first.GetProperty("state").GetString());
        Assert.Equal("enabled", first.GetProperty("status").GetString());
        Assert.False(first.TryGetProperty("forced_down", out _));
        Assert.Equal("down", list.Body.GetProperty("services")[1].GetProperty("state").GetString());

        var filtered = (await GetAsync("/v2.1/os-services?host=compute-2", Admin, "2.53")).Body.GetProperty("services");
        var only = Assert.Single(filtered.EnumerateArray());
        Assert.Equal("5b1f0e0a-2b0c-4c39-9a57-0d2d7a1a0002", only.GetProperty("id").GetString());
        Assert.False(only.GetProperty("forced_down").GetBoolean());
        AssertError(HttpStatusCode.Forbidden, await GetAsync("/v2.1/os-services", A));
    }

    [Fact]
    public async Task A_service_is_disabled_and_enabled_by_both_url_styles_and_forced_down()
    {
        ConductorKnowsTwoHosts();
        var disabled = await PutAsync("/v2.1/os-services/disable", Admin, new { host = "compute-1", binary = "nova-compute" });
        AssertStatus(HttpStatusCode.OK, disabled);
        Assert.Equal("disabled", disabled.Body.GetProperty("service").GetProperty("status").GetString());
        Assert.True(services["compute-1"].Disabled);

        var logged = await PutAsync("/v2.1/os-services/disable-log-reason", Admin, new { host = "compute-1", binary = "nova-compute", disabled_reason = "patching" });
        Assert.Equal("patching", logged.Body.GetProperty("service").GetProperty("disabled_reason").GetString());
        AssertError(HttpStatusCode.BadRequest, await PutAsync("/v2.1/os-services/disable-log-reason", Admin, new { host = "compute-1", binary = "nova-compute" }));
        AssertStatus(HttpStatusCode.OK, await PutAsync("/v2.1/os-services/enable", Admin, new { host = "compute-1", binary = "nova-compute" }));
        Assert.False(services["compute-1"].Disabled);
        AssertError(HttpStatusCode.NotFound, await PutAsync("/v2.1/os-services/disable", Admin, new { host = "nowhere", binary = "nova-compute" }));

        var forced = await PutAsync("/v2.1/os-services/force-down", Admin, new { host = "compute-1", binary = "nova-compute", forced_down = true }, "2.11");
        AssertStatus(HttpStatusCode.OK, forced);
        Assert.True(forced.Body.GetProperty("service").GetProperty("forced_down").GetBoolean());
        Assert.True(services["compute-1"].ForcedDown);
        AssertError(HttpStatusCode.NotFound, await PutAsync("/v2.1/os-services/force-down", Admin, new { host = "compute-1", binary = "nova-compute", forced_down = true }));

        // 2.53: by uuid, with the whole service in the answer.
        var updated = await PutAsync($"/v2.1/os-services/{Uuid1}", Admin, new { status = "disabled", disabled_reason = "rack move", forced_down = false }, "2.53");
        AssertStatus(HttpStatusCode.OK, updated);
        var service = updated.Body.GetProperty("service");
        Assert.Equal(Uuid1, service.GetProperty("id").GetString());
        Assert.Equal("disabled", service.GetProperty("status").GetString());
        Assert.Equal("rack move", service.GetProperty("disabled_reason").GetString());
        Assert.False(service.GetProperty("forced_down").GetBoolean());
        AssertError(HttpStatusCode.BadRequest, await PutAsync($"/v2.1/os-services/{Uuid1}", Admin, new { status = "enabled", disabled_reason = "x" }, "2.53"));
        AssertError(HttpStatusCode.BadRequest, await PutAsync($"/v2.1/os-services/{Uuid1}", Admin, new { }, "2.53"));
        AssertError(HttpStatusCode.BadRequest, await PutAsync("/v2.1/os-services/disable", Admin, new { host = "compute-1", binary = "nova-compute" }, "2.53"));
        AssertError(HttpStatusCode.NotFound, await PutAsync($"/v2.1/os-services/{Guid.NewGuid()}", Admin, new { status = "enabled" }, "2.53"));
        AssertError(HttpStatusCode.Forbidden, await PutAsync("/v2.1/os-services/disable", A, new { host = "compute-1", binary = "nova-compute" }));
    }

    [Fact]
    public async Task A_service_is_deleted_unless_it_hosts_instances()
    {
        ConductorKnowsTwoHosts();
        AssertError(HttpStatusCode.Conflict, await DeleteAsync($"/v2.1/os-services/{Uuid1}", Admin, "2.53"));
        AssertStatus(HttpStatusCode.NoContent, await DeleteAsync("/v2.1/os-services/2", Admin));
        Assert.False(services.ContainsKey("compute-2"));
        AssertError(HttpStatusCode.NotFound, await DeleteAsync("/v2.1/os-services/2", Admin));
    }
}
