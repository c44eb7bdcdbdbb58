using System.Net;
using Microsoft.Extensions.Configuration;
using MySqlConnector;
using NetworkServer.Ml2;
using Platform.Hosting;
using Platform.TestSupport;

namespace NetworkServer.Tests;

/// <summary>ML2 segment allocation against the real MariaDB: never the same segment twice, and neutron's errors.</summary>
public sealed class TypeDriverTests(MySqlFixture mysql, RabbitMqFixture rabbit) : IClassFixture<MySqlFixture>, IClassFixture<RabbitMqFixture>, IAsyncLifetime
{
    private ServiceFactory<Program> factory = null!;

    public async Task InitializeAsync()
    {
        factory = new ServiceFactory<Program>(mysql.NewDatabase("ml2"), await rabbit.NewVirtualHostAsync("ml2"));
        await factory.SyncAsync();
    }

    public async Task DisposeAsync() => await factory.DisposeAsync();

    private static TypeManager Types(params (string Key, string Value)[] settings) =>
        TypeManager.FromConfiguration(new ConfigurationBuilder().AddInMemoryCollection(settings.ToDictionary(s => s.Key, s => (string?)s.Value)).Build());

    private async Task<T> InTransactionAsync<T>(Func<MySqlTransaction, Task<T>> work)
    {
        await using var c = new MySqlConnection(factory.Database);
        await c.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        var result = await work(tx);
        await tx.CommitAsync();
        return result;
    }

    private const int Count = 300;

    private static string NewNetworkId() => Guid.NewGuid().ToString();

    [Fact]
    public async Task Hundreds_of_tenant_networks_created_at_once_never_share_a_segment()
    {
        var types = Types(("ml2:tenant_network_types", "vxlan"), ("ml2_type_vxlan:vni_ranges", "100:349,1000:1099"));
        var segments = await Task.WhenAll(Enumerable.Range(0, Count).Select(_ =>
            Task.Run(() => InTransactionAsync(tx => types.CreateTenantSegmentAsync(tx, NewNetworkId())))));
        var ids = segments.Select(s => s.SegmentationId!.Value).ToList();
        Assert.Equal(Count, ids.Distinct().Count());
        Assert.All(ids, id => Assert.True(id is >= 100 and <= 349 or >= 1000 and <= 1099, $"VNI {id} is outside the ranges"));
        Assert.All(segments, s => Assert.Equal(1450, types.Mtu(s)));

        // Fifty left; then none.
        for (var i = 0; i < 50; i++) await InTransactionAsync(tx => types.CreateTenantSegmentAsync(tx, NewNetworkId()));
        var none = await Assert.ThrowsAsync<ApiException>(() => InTransactionAsync(tx => types.CreateTenantSegmentAsync(tx, NewNetworkId())));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, none.Status);
        Assert.Equal("NoNetworkAvailable", none.Type);
    }

    [Fact]
    public async Task Tenant_types_are_tried_in_order()
    {
        var types = Types(("ml2:tenant_network_types", "vlan,gre"), ("ml2_type_vlan:network_vlan_ranges", "physnet-order:7:8"), ("ml2_type_gre:tunnel_id_ranges", "5:5"));
        var made = new List<Segment>();
        for (var i = 0; i < 3; i++) made.Add(await InTransactionAsync(tx => types.CreateTenantSegmentAsync(tx, NewNetworkId())));
        Assert.Equal(["vlan", "vlan", "gre"], made.Select(s => s.NetworkType));
        Assert.Equal("physnet-order", made[0].PhysicalNetwork);
        Assert.Equal(1458, types.Mtu(made[2]));
    }

    [Fact]
    public async Task Provider_segments_are_checked_and_taken_once()
    {
        var types = Types(("ml2_type_vlan:network_vlan_ranges", "physnet1:1000:1009,provider-only"), ("ml2_type_flat:flat_networks", "flatnet"));
        async Task<ApiException> Refused(Segment s) =>
            await Assert.ThrowsAsync<ApiException>(() => InTransactionAsync(tx => types.CreateProviderSegmentAsync(tx, s, NewNetworkId())));

        var outOfRange = await Refused(new Segment("vlan", "physnet1", 5000));
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidInput"), (outOfRange.Status, outOfRange.Type));
        Assert.Equal(HttpStatusCode.BadRequest, (await Refused(new Segment("vlan", "nowhere", 10))).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await Refused(new Segment("vxlan", "physnet1", 10))).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await Refused(new Segment("flat", "other", null))).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await Refused(new Segment("token-ring", null, null))).Status);

        // A tag outside the tenant range is the admin's to give; the same tag twice is not.
        var vlan = await InTransactionAsync(tx => types.CreateProviderSegmentAsync(tx, new Segment("vlan", "provider-only", 42), NewNetworkId()));
        Assert.Equal(42, vlan.SegmentationId);
        var inUse = await Refused(new Segment("vlan", "provider-only", 42));
        Assert.Equal((HttpStatusCode.Conflict, "VlanIdInUse"), (inUse.Status, inUse.Type));
        // No tag asked for: one from that physical network's range.
        var picked = await InTransactionAsync(tx => types.CreateProviderSegmentAsync(tx, new Segment("vlan", "physnet1", null), NewNetworkId()));
        Assert.InRange(picked.SegmentationId!.Value, 1000, 1009);

        await InTransactionAsync(tx => types.CreateProviderSegmentAsync(tx, new Segment("flat", "flatnet", null), NewNetworkId()));
        Assert.Equal("FlatNetworkInUse", (await Refused(new Segment("flat", "flatnet", null))).Type);

        // Released, it can be taken again.
        await InTransactionAsync(async tx => { await types.ReleaseSegmentAsync(tx, vlan); return 0; });
        Assert.Equal(42, (await InTransactionAsync(tx => types.CreateProviderSegmentAsync(tx, new Segment("vlan", "provider-only", 42), NewNetworkId()))).SegmentationId);
    }
}
