using Platform.Hosting;
using Platform.TestSupport;

namespace NetworkServer.Tests;

/// <summary>The deployable's first-day duties (health, request ids, error shape, schema), in-process against the real servers.</summary>
public sealed class NetworkServerStartupTests(MySqlFixture mysql, RabbitMqFixture rabbit)
    : ServiceTestBase<Program>(mysql, rabbit), IClassFixture<MySqlFixture>, IClassFixture<RabbitMqFixture>
{
    protected override ApiFlavor Flavor => ApiFlavor.Neutron;

}
