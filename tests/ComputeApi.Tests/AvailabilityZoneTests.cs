using System.Net;
using System.Text.Json;
using Platform.TestSupport;

namespace ComputeApi.Tests;

/// <summary>os-availability-zone from placement's compute nodes.</summary>
public sealed class AvailabilityZoneTests(MySqlFixture mysql, RabbitMqFixture rabbit)
    : InfrastructureTestBase(mysql, rabbit, "capiaz"), IClassFixture<MySqlFixture>, IClassFixture<RabbitMqFixture>
{
    [Fact]
    public async Task Zones_are_listed_from_the_nodes_and_detailed_for_admins()
    {
        Nodes.AddNode(1, "compute-1");
        Nodes.AddNode(2, "compute-2", disabled: true).AvailabilityZone = "zone-b";

        var list = await GetAsync("/v2.1/os-availability-zone", A);
        AssertStatus(HttpStatusCode.OK, list);
        var zones = list.Body.GetProperty("availabilityZoneInfo").EnumerateArray().ToDictionary(z => z.GetProperty("zoneName").GetString()!);
        Assert.True(zones["nova"].GetProperty("zoneState").GetProperty("available").GetBoolean());
        Assert.False(zones["zone-b"].GetProperty("zoneState").GetProperty("available").GetBoolean());
        Assert.Equal(JsonValueKind.Null, zones["nova"].GetProperty("hosts").ValueKind);

        AssertError(HttpStatusCode.Forbidden, await GetAsync("/v2.1/os-availability-zone/detail", A));
        var detail = (await GetAsync("/v2.1/os-availability-zone/detail", Admin)).Body.GetProperty("availabilityZoneInfo")
            .EnumerateArray().Single(z => z.GetProperty("zoneName").GetString() == "nova");
        var service = detail.GetProperty("hosts").GetProperty("compute-1").GetProperty("nova-compute");
        Assert.True(service.GetProperty("available").GetBoolean());
        Assert.True(service.GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task A_zone_made_a_moment_ago_is_accepted_and_an_unknown_one_refused()
    {
        var (flavor, image, _) = await BootBasicsAsync();
        var node = Nodes.AddNode(1, "compute-1");
        node.AvailabilityZone = "zone-a";
        object Server(string zone) => new { server = new { name = "z", flavorRef = flavor, imageRef = image, networks = "none", availability_zone = zone } };

        AssertStatus(HttpStatusCode.Accepted, await PostAsync("/v2.1/servers", A, Server("zone-a"), "2.37"));
        Assert.Equal("The requested availability zone is not available",
            AssertError(HttpStatusCode.BadRequest, await PostAsync("/v2.1/servers", A, Server("zone-new"), "2.37")));

        // An aggregate moves the node to a new zone; a create in it right after is not refused
        // for the list read a moment ago.
        node.AvailabilityZone = "zone-new";
        AssertStatus(HttpStatusCode.Accepted, await PostAsync("/v2.1/servers", A, Server("zone-new"), "2.37"));
        Assert.Equal("The requested availability zone is not available",
            AssertError(HttpStatusCode.BadRequest, await PostAsync("/v2.1/servers", A, Server("zone-gone"), "2.37")));
    }
}
