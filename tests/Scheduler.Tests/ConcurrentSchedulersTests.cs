using Platform.TestSupport;
using Scheduler.Contracts;
using Scheduler.Contracts.Placement;

namespace Scheduler.Tests;

/// <summary>Runs alone: two in-process hosts starting while other classes start theirs starved the thread pool.</summary>
[CollectionDefinition(nameof(AloneCollection), DisableParallelization = true)]
public sealed class AloneCollection;

/// <summary>Two schedulers on one database, claiming at once for many consumers: no provider goes beyond capacity * ratio.</summary>
[Collection(nameof(AloneCollection))]
public sealed class ConcurrentSchedulersTests(MySqlFixture mysql, RabbitMqFixture rabbit)
    : SchedulerTestBase(mysql, rabbit, "concur"), IClassFixture<MySqlFixture>, IClassFixture<RabbitMqFixture>
{
    private const int Hosts = 4;
    private const int VcpusPerHost = 3;
    private const double Ratio = 2;
    private const int Capacity = (int)(VcpusPerHost * Ratio);

    [Fact]
    public async Task Concurrent_claims_and_selections_never_overcommit()
    {
        var second = NewFactory();
        // The host starts synchronously inside Server: off the test's thread.
        await Task.Run(() => second.Server);
        var placements = new[] { Admin, Placement(AdminToken, second) };
        var nodes = Enumerable.Range(0, Hosts).Select(i => Node($"cc-{i}", vcpus: VcpusPerHost, cpuRatio: Ratio)).ToList();
        foreach (var n in nodes) await Admin.ReportComputeNodeAsync(n);

        // Direct claims through both: 60 consumers of 1 vCPU on random providers, all at once.
        var claims = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => Task.Run(async () =>
        {
            var node = nodes[Random.Shared.Next(Hosts)];
            return (await placements[i % 2].ClaimAllocationsAsync(Claim(Guid.NewGuid().ToString(), node.ProviderUuid, ("VCPU", 1)),
                deadline: DateTime.UtcNow.AddSeconds(30))).Claimed;
        })));
        var usage = await UsageAsync();
        Assert.All(nodes, n => Assert.True(usage.GetValueOrDefault((n.ProviderUuid, "VCPU")) <= Capacity));
        Assert.Equal(claims.Count(c => c), usage.Values.Sum());

        foreach (var consumer in await ConsumersAsync())
            await Admin.DeleteAllocationsAsync(new DeleteAllocationsRequest { ConsumerUuid = consumer });
        Assert.Empty(await UsageAsync());

        // select_destinations through both schedulers' consumers at once: exactly the capacity fits.
        var schedulers = new[] { Scheduler(), Scheduler(second) };
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var outcomes = await Task.WhenAll(Enumerable.Range(0, Hosts * Capacity + 10).Select(i => Task.Run(async () =>
        {
            try
            {
                using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await schedulers[i % 2].CallSelectDestinationsAsync(Select(Flavor(vcpus: 1, ram: 64, root: 1)), deadline.Token);
                return true;
            }
            catch (NoValidHostException)
            {
                return false;
            }
            catch (Exception e)
            {
                // Anything but an answer is a failure of the test, named below, not a hang.
                failures.Add($"{e.GetType().Name}: {e.Message}");
                return false;
            }
        })));
        Assert.True(failures.IsEmpty, $"select_destinations failed {failures.Count} time(s): {string.Join(" | ", failures.Distinct())}");
        usage = await UsageAsync();
        Assert.All(nodes, n => Assert.True(usage.GetValueOrDefault((n.ProviderUuid, "VCPU")) <= Capacity, $"{n.Host} over capacity"));
        Assert.Equal(outcomes.Count(o => o), usage.Where(u => u.Key.Rc == "VCPU").Sum(u => u.Value));
        Assert.Equal(Hosts * Capacity, outcomes.Count(o => o));
    }

    private async Task<List<string>> ConsumersAsync()
    {
        await using var c = new MySqlConnector.MySqlConnection(Database);
        return [.. await Dapper.SqlMapper.QueryAsync<string>(c, "SELECT uuid FROM consumers")];
    }
}
