using Platform.Hosting;
using Platform.TestSupport;

namespace Scheduler.Tests;

/// <summary>The deployable's first-day duties (health, request ids, error shape, schema), in-process against the real servers.</summary>
public sealed class SchedulerStartupTests(MySqlFixture mysql, RabbitMqFixture rabbit)
    : ServiceTestBase<Program>(mysql, rabbit), IClassFixture<MySqlFixture>, IClassFixture<RabbitMqFixture>
{
    protected override ApiFlavor Flavor => ApiFlavor.Placement;

}
