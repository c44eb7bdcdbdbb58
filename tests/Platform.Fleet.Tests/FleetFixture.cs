using System.Net;
using Platform.TestSupport;

namespace Platform.Fleet.Tests;

/// <summary>
/// The whole fleet as separate processes, as `make run` starts it, but on free ports, in
/// databases and a virtual host of its own, so it never meets a running `make run`.
/// </summary>
public sealed class FleetFixture : IAsyncLifetime
{
    private readonly MySqlFixture mysql = new();
    private readonly RabbitMqFixture rabbit = new();
    private readonly string directory = Path.Combine(Path.GetTempPath(), $"platform-fleet-{Guid.NewGuid():N}");

    public List<FleetProcess> Processes { get; } = [];
    public Dictionary<string, string> Databases { get; } = [];
    public string ServerConnection => mysql.ServerConnection;

    public async Task InitializeAsync()
    {
        await mysql.InitializeAsync();
        await rabbit.InitializeAsync();
        Directory.CreateDirectory(directory);
        var transport = await rabbit.NewVirtualHostAsync("fleet");

        foreach (var deployable in Deployable.All())
        {
            var process = new FleetProcess(deployable, Deployable.FreePort(),
                Path.Combine(directory, deployable.Name + ".conf"), Path.Combine(directory, deployable.Name + ".log"));
            var lines = new List<string>
            {
                "host = fleet-test",
                "[api]",
                $"listen = http://127.0.0.1:{process.Port}",
                "[messaging]",
                $"transport_url = {transport}",
                "[keystone_authtoken]",
                // Identity has no API yet in this fleet: keys are looked up only when a token comes.
                $"jwks_url = http://127.0.0.1:{Processes.FirstOrDefault(p => p.Deployable.Name == "identity")?.Port ?? 9}/v3/auth/jwks",
            };
            if (deployable.Database is { } db)
            {
                var connection = mysql.NewDatabase("fleet_" + db);
                Databases[deployable.Name] = connection;
                lines.AddRange(["[database]", $"connection = {connection}"]);
            }
            await File.WriteAllLinesAsync(process.ConfigFile, lines);
            Processes.Add(process);
        }

        // Every database is synced first, as `make run` and the chart's Jobs do.
        var syncs = await Task.WhenAll(Processes.Where(p => p.Deployable.Database is not null)
            .Select(async p => (p, code: await p.RunCommandAsync("db", "sync"))));
        foreach (var (p, code) in syncs)
            if (code != 0) throw new InvalidOperationException($"db sync of {p.Deployable.Name} exited {code}:\n{p.LogTail()}");

        foreach (var p in Processes) p.StartServer();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        foreach (var p in Processes)
        {
            var ready = await Eventually.TrueAsync(async () =>
            {
                if (p.Process!.HasExited) return true;
                try { return (await http.GetAsync(new Uri(p.BaseUri, "/readyz"))).StatusCode == HttpStatusCode.OK; }
                catch (HttpRequestException) { return false; }
                catch (TaskCanceledException) { return false; }
            }, TimeSpan.FromSeconds(120), TimeSpan.FromMilliseconds(250));
            if (!ready || p.Process!.HasExited)
                throw new InvalidOperationException($"{p.Deployable.Name} did not become ready:\n{p.LogTail()}");
        }
    }

    public async Task DisposeAsync()
    {
        await Task.WhenAll(Processes.Select(p => p.TerminateAsync(TimeSpan.FromSeconds(20))));
        await rabbit.DisposeAsync();
        await mysql.DisposeAsync();
        try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
    }
}
