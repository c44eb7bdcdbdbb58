using Platform.Hosting;
using Platform.TestSupport;

namespace ComputeApi.Tests;

/// <summary>The deployable's first-day duties (health, request ids, error shape, schema), in-process against the real servers.</summary>
public sealed class ComputeApiStartupTests(MySqlFixture mysql, RabbitMqFixture rabbit)
    : ServiceTestBase<Program>(mysql, rabbit), IClassFixture<MySqlFixture>, IClassFixture<RabbitMqFixture>
{
    protected override ApiFlavor Flavor => ApiFlavor.Nova;

}
