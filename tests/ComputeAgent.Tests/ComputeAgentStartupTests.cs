using Platform.Hosting;
using Platform.TestSupport;

namespace ComputeAgent.Tests;

/// <summary>The deployable's first-day duties (health, request ids, error shape), in-process against the real servers.</summary>
public sealed class ComputeAgentStartupTests(MySqlFixture mysql, RabbitMqFixture rabbit)
    : ServiceTestBase<Program>(mysql, rabbit), IClassFixture<MySqlFixture>, IClassFixture<RabbitMqFixture>
{
    protected override ApiFlavor Flavor => ApiFlavor.None;

    protected override bool OwnsDatabase => false;
}
