using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using MySqlConnector;
using static Platform.Bench.ServiceProcesses;

namespace Platform.Bench;

/// <summary>One deployable of a <see cref="BenchFleet"/>: its name, build, database (none for an agent) and API port.</summary>
internal sealed record BenchPart(string Name, string Dll, string? Database, int Port)
{
    public string Log(string dir) => Path.Combine(dir, Name + ".log");
}

/// <summary>
/// The deployables a scenario runs as processes, as `make run` runs them: a broker virtual host
/// and a database each of their own, identity first (keys, then a bootstrap with an admin, a
/// service user per part and the catalog the scenario names), then each part with its database
/// synced, each waited on until ready. Disposing stops them in reverse order and removes the
/// databases, the virtual host and the work directory (kept with <c>BENCH_KEEP=1</c>).
/// </summary>
internal sealed class BenchFleet : IAsyncDisposable
{
    private readonly List<(BenchPart Part, Process Process)> processes = [];
    private readonly string vhost;

    private BenchFleet(string scenario, DirectoryInfo work, IReadOnlyList<BenchPart> parts)
    {
        Work = work;
        Parts = parts;
        vhost = $"bench-{scenario}-{Guid.NewGuid():N}"[..(7 + scenario.Length + 8)];
    }

    public DirectoryInfo Work { get; }
    public IReadOnlyList<BenchPart> Parts { get; }
    public string AdminPassword { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));

    /// <summary>The broker URL of this fleet's virtual host, for a bus of the scenario's own.</summary>
    public string TransportUrl => $"{BrokerUrl.TrimEnd('/')}/{vhost}";

    public BenchPart this[string name] => Parts.Single(p => p.Name == name);

    /// <summary>
    /// Starts <paramref name="parts"/> (identity first among them). <paramref name="catalog"/> is
    /// what identity's bootstrap registers besides itself; <paramref name="sections"/> adds each
    /// part's own configuration sections.
    /// </summary>
    public static async Task<BenchFleet> StartAsync(string scenario, DirectoryInfo work, IReadOnlyList<BenchPart> parts,
        Func<BenchFleet, IEnumerable<(string Type, string Name, string Url)>> catalog, Func<BenchFleet, BenchPart, string> sections)
    {
        var fleet = new BenchFleet(scenario, work, parts);
        try
        {
            await CreateVirtualHostAsync(fleet.vhost);
            foreach (var p in parts.Where(p => p.Database is not null)) await CreateDatabaseAsync(p.Database!);
            var passwords = parts.ToDictionary(p => p.Name, _ => Convert.ToHexString(RandomNumberGenerator.GetBytes(12)));
            foreach (var part in parts)
            {
                var config = fleet.WriteConfig(part, passwords, catalog, sections);
                if (part.Database is not null) await RunCommandAsync(part.Name, part.Dll, ["db", "sync", "--config-file", config]);
                if (part.Name == "identity")
                {
                    await RunCommandAsync(part.Name, part.Dll, ["keys", "setup", "--config-file", config]);
                    await RunCommandAsync(part.Name, part.Dll, ["bootstrap", "--config-file", config]);
                }
                var process = StartServer(part.Name, part.Dll, config, part.Log(work.FullName));
                fleet.processes.Add((part, process));
                using var probe = LoopbackClient(part.Port);
                await WaitReadyAsync(part.Name, probe, process, part.Log(work.FullName));
            }
            return fleet;
        }
        catch
        {
            fleet.PrintLogTails();
            await fleet.DisposeAsync();
            throw;
        }
    }

    public string Url(string name) => $"http://127.0.0.1:{this[name].Port}";

    /// <summary>A client of <paramref name="name"/>'s API with an admin token of identity's.</summary>
    public async Task<HttpClient> AdminClientAsync(string name)
    {
        using var identity = LoopbackClient(this["identity"].Port);
        var token = await IdentityScenario.IssueAsync(identity, IdentityScenario.AdminPasswordBody(AdminPassword));
        var client = LoopbackClient(this[name].Port);
        client.DefaultRequestHeaders.Add("X-Auth-Token", token);
        return client;
    }

    public void PrintLogTails()
    {
        foreach (var part in Parts) PrintLogTail(part.Name, part.Log(Work.FullName));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (part, process) in Enumerable.Reverse(processes)) await StopAsync(part.Name, process);
        foreach (var p in Parts.Where(p => p.Database is not null)) await DropDatabaseAsync(p.Database!);
        await DeleteVirtualHostAsync(vhost);
        if (Environment.GetEnvironmentVariable("BENCH_KEEP") == "1") Console.WriteLine($"  kept {Work.FullName}");
        else
        {
            try { Work.Delete(recursive: true); }
            catch (IOException e) { Console.Error.WriteLine($"  could not remove {Work.FullName}: {e.Message}"); }
        }
    }

    private string WriteConfig(BenchPart part, Dictionary<string, string> passwords,
        Func<BenchFleet, IEnumerable<(string Type, string Name, string Url)>> catalog, Func<BenchFleet, BenchPart, string> sections)
    {
        var identityUrl = Url("identity");
        var text = new StringBuilder()
            .AppendLine(part.Name == "compute-agent" ? "host = bench" : $"host = bench-{part.Name}")
            .AppendLine(Environment.GetEnvironmentVariable("BENCH_DEBUG") == "1" ? "[logging]\ndebug = true\nformat = text" : "")
            .AppendLine().AppendLine("[api]").AppendLine($"listen = http://127.0.0.1:{part.Port}")
            .AppendLine().AppendLine("[messaging]").AppendLine($"transport_url = {TransportUrl}")
            .AppendLine().AppendLine("[keystone_authtoken]").AppendLine($"auth_url = {identityUrl}")
            .AppendLine($"username = {part.Name}").AppendLine($"password = {passwords[part.Name]}").AppendLine("region_name = RegionOne");
        if (part.Database is not null)
            text.AppendLine().AppendLine("[database]").AppendLine($"connection = {new MySqlConnectionStringBuilder(MySql) { Database = part.Database }.ConnectionString}");
        if (part.Name == "identity")
        {
            text.AppendLine().AppendLine("[token]").AppendLine($"key_repository = {Path.Combine(Work.FullName, "identity-keys")}")
                .AppendLine().AppendLine("[bootstrap]").AppendLine($"admin_password = {AdminPassword}").AppendLine("region = RegionOne")
                .AppendLine().AppendLine("[bootstrap:service_users]");
            foreach (var p in Parts) text.AppendLine($"{p.Name} = {passwords[p.Name]}");
            foreach (var (type, name, url) in catalog(this).Prepend(("identity", "keystone", $"{identityUrl}/v3")))
                text.AppendLine().AppendLine($"[bootstrap:catalog:{type}]").AppendLine($"name = {name}").AppendLine($"url = {url}");
        }
        text.Append(sections(this, part));
        var path = Path.Combine(Work.FullName, part.Name + ".conf");
        File.WriteAllText(path, text.ToString());
        // It holds passwords and the database account.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }
}
