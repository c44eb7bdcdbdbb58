using Dapper;
using MySqlConnector;
using Platform.TestSupport;
using Scheduler.Contracts;

namespace Scheduler.Tests;

/// <summary>
/// A node's periodic report: one that changes nothing leaves the provider's updated_at alone (the
/// schedulers' views reload nothing for it), and the views still see from it that the node is up.
/// </summary>
public sealed class NodeReportTests(MySqlFixture mysql, RabbitMqFixture rabbit)
    : SchedulerTestBase(mysql, rabbit, "reports"), IClassFixture<MySqlFixture>, IClassFixture<RabbitMqFixture>
{
    // Short, so a node that stops reporting is down within the test.
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["scheduler:service_down_time"] = "2" };

    private async Task<(long Generation, DateTime UpdatedAt)> ProviderAsync(string uuid)
    {
        await using var c = new MySqlConnection(Database);
        return await c.QuerySingleAsync<(long, DateTime)>("SELECT generation, updated_at FROM resource_providers WHERE uuid = @uuid", new { uuid });
    }

    [Fact]
    public async Task A_report_that_changes_nothing_leaves_updated_at_and_one_that_does_moves_it()
    {
        var node = Node("rep-1");
        await Admin.ReportComputeNodeAsync(node);
        var first = await ProviderAsync(node.ProviderUuid);

        await Admin.ReportComputeNodeAsync(node);
        Assert.Equal(first, await ProviderAsync(node.ProviderUuid));

        node.FailedBuilds = 2;
        await Admin.ReportComputeNodeAsync(node);
        var failed = await ProviderAsync(node.ProviderUuid);
        Assert.Equal(first.Generation, failed.Generation);
        Assert.True(failed.UpdatedAt > first.UpdatedAt);

        node.Inventories[0].Total += 1;
        await Admin.ReportComputeNodeAsync(node);
        Assert.Equal(first.Generation + 1, (await ProviderAsync(node.ProviderUuid)).Generation);
    }

    [Fact]
    public async Task A_node_that_reports_again_after_it_went_down_is_scheduled_to_again()
    {
        var node = Node("rep-2");
        await Admin.ReportComputeNodeAsync(node);
        Assert.Equal("rep-2", Assert.Single(await Scheduler().CallSelectDestinationsAsync(Select(Flavor())))[0].ServiceHost);

        // Silent past service_down_time: down.
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        await Assert.ThrowsAsync<NoValidHostException>(() => Scheduler().CallSelectDestinationsAsync(Select(Flavor())));

        // A report that changes nothing but its time brings it back.
        await Admin.ReportComputeNodeAsync(node);
        Assert.True(await Eventually.TrueAsync(async () =>
        {
            try
            {
                return (await Scheduler().CallSelectDestinationsAsync(Select(Flavor())))[0][0].ServiceHost == "rep-2";
            }
            catch (NoValidHostException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(100)));
    }
}
