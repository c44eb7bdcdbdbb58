using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MySqlConnector;
using static Platform.Bench.ServiceProcesses;

namespace Platform.Bench;

/// <summary>
/// The identity service as a real process over HTTP, as clients meet it: its own fresh database
/// on the local MariaDB, keys and bootstrap through its own sub-commands, then token issue by
/// password, rescope by token and validation, each sequential and with concurrent callers.
/// </summary>
public sealed class IdentityScenario : IScenario
{
    private const int Callers = 16;
    private const int PasswordRounds = 100_000; // identity:password_hash_rounds' default, set explicitly
    private const double RescopeAim = 2_000;

    // (warm-up, sequential, concurrent). Passwords cost a full PBKDF2 verify each, so few of them.
    private static readonly (int Warmup, int Sequential, int Concurrent) PasswordCounts = (3, 20, 48);
    private static readonly (int Warmup, int Sequential, int Concurrent) RescopeCounts = (200, 1000, 3000);
    private static readonly (int Warmup, int Sequential, int Concurrent) SameTokenCounts = (500, 4000, 12000);
    // Distinct subjects come from the tokens the rescope runs issued; each is validated once.
    private static readonly (int Warmup, int Sequential, int Concurrent) DistinctCounts = (200, 1000, 3000);

    private const string ScopeJson = """{"project":{"name":"admin","domain":{"name":"Default"}}}""";

    public string Name => "identity";
    public string Description =>
        $"the identity service as a process over HTTP: password issue, rescope, validation; sequential and {Callers} callers";

    public async Task<ScenarioResult> RunAsync()
    {
        var dll = ServiceDll("Identity");
        var database = $"bench_identity_{Guid.NewGuid():N}"[..30];
        var work = Directory.CreateTempSubdirectory("platform-bench-identity-");
        var log = Path.Combine(work.FullName, "identity.log");
        Process? server = null;
        try
        {
            await CreateDatabaseAsync(database);
            var port = FreePort();
            var adminPassword = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
            server = await StartAsync(dll, work.FullName, database, port, adminPassword, log);

            using var http = new HttpClient(new SocketsHttpHandler
            {
                MaxConnectionsPerServer = 256,
                UseProxy = false,
                PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            })
            {
                BaseAddress = new Uri($"http://127.0.0.1:{port}"),
                Timeout = TimeSpan.FromSeconds(30),
            };
            await WaitReadyAsync("identity", http, server, log);
            return await MeasureAsync(http, adminPassword);
        }
        catch
        {
            PrintLogTail("identity", log);
            throw;
        }
        finally
        {
            if (server is not null) await StopAsync("identity", server);
            await DropDatabaseAsync(database);
            try { work.Delete(recursive: true); }
            catch (IOException e) { Console.Error.WriteLine($"  could not remove {work.FullName}: {e.Message}"); }
        }
    }

    private static async Task<ScenarioResult> MeasureAsync(HttpClient http, string adminPassword)
    {
        var passwordBody = AdminPasswordBody(adminPassword);
        var adminToken = await IssueAsync(http, passwordBody);
        var rescopeBody = Encoding.UTF8.GetBytes(
            """{"auth":{"identity":{"methods":["token"],"token":{"id":""" + JsonSerializer.Serialize(adminToken) + """}},"scope":""" + ScopeJson + "}}");

        Console.WriteLine($"  identity:password_hash_rounds = {PasswordRounds} (the default): each password issue pays one full PBKDF2-SHA512 verify");
        Console.WriteLine($"  tokens carry the catalog (no ?nocatalog), as keystoneauth asks for them");

        var password = await RunPairAsync(PasswordCounts, _ => IssueAsync(http, passwordBody));
        Print("password issue", password, null);

        // Every rescoped token is kept: they are the distinct subjects validated below.
        var issued = new string[RescopeCounts.Warmup + RescopeCounts.Sequential + RescopeCounts.Concurrent];
        var before = await ServerCountersAsync();
        var rescope = await RunPairAsync(RescopeCounts, async i => issued[i] = await IssueAsync(http, rescopeBody));
        var after = await ServerCountersAsync();
        Print("rescope (token method)", rescope, $"aim > {RescopeAim:F0}/s");
        // Server-wide counters, so anything else using this MariaDB meanwhile is counted too.
        var perCall = after.Select((a, i) => (double)(a - before[i]) / issued.Length).ToArray();
        Console.WriteLine($"  rescope: ~{perCall[0]:F1} commands to MariaDB per call (SELECT {perCall[1]:F1}, SET {perCall[2]:F1}; the rest mostly connection resets)");

        if (DistinctCounts.Warmup + DistinctCounts.Sequential + DistinctCounts.Concurrent > issued.Length)
            throw new InvalidOperationException("DistinctCounts needs more tokens than the rescope runs issue");
        var same = await RunPairAsync(SameTokenCounts, _ => ValidateAsync(http, adminToken, adminToken));
        Print("validate, same subject", same, null);

        var distinct = await RunPairAsync(DistinctCounts, i => ValidateAsync(http, adminToken, issued[i]));
        Print("validate, distinct subjects", distinct, null);

        var aimMet = rescope.Concurrent.PerSecond >= RescopeAim ? "met" : "NOT met";
        Console.WriteLine($"  rescope with {Callers} callers: {rescope.Concurrent.PerSecond:F0}/s against the aim of {RescopeAim:F0}/s on {Environment.ProcessorCount} cores: {aimMet}");

        var measurements = new List<Measurement>
        {
            new("password_hash_rounds", "1", PasswordRounds),
            new("rescope.mariadb_commands_per_call", "1", perCall[0]),
            new("rescope.mariadb_selects_per_call", "1", perCall[1]),
        };
        Add(measurements, "password", password);
        Add(measurements, "rescope", rescope);
        Add(measurements, "validate_same", same);
        Add(measurements, "validate_distinct", distinct);
        return new ScenarioResult("identity", measurements);
    }

    private sealed record Pair(LatencyStats Sequential, LatencyStats Concurrent);

    private static void Print(string what, Pair pair, string? aim)
    {
        Console.WriteLine($"  {what,-28} sequential  {pair.Sequential}");
        Console.WriteLine($"  {what,-28} {Callers} callers  {pair.Concurrent}{(aim is null ? "" : "   " + aim)}");
    }

    private static void Add(List<Measurement> to, string name, Pair pair)
    {
        foreach (var (mode, stats) in new[] { ("sequential", pair.Sequential), ("concurrent", pair.Concurrent) })
        {
            to.Add(new($"{name}.{mode}.calls_per_s", "1/s", stats.PerSecond));
            to.Add(new($"{name}.{mode}.p50", "ms", stats.P50Ms));
            to.Add(new($"{name}.{mode}.p99", "ms", stats.P99Ms));
        }
    }

    // Calls are numbered across warm-up, sequential and concurrent runs, so each index is used once.
    private static async Task<Pair> RunPairAsync((int Warmup, int Sequential, int Concurrent) counts, Func<int, Task> call)
    {
        for (var i = 0; i < counts.Warmup; i++) await call(i);
        var sequential = await RunAsync(counts.Warmup, counts.Sequential, 1, call);
        var concurrent = await RunAsync(counts.Warmup + counts.Sequential, counts.Concurrent, Callers, call);
        return new Pair(sequential, concurrent);
    }

    private static async Task<LatencyStats> RunAsync(int first, int count, int callers, Func<int, Task> call)
    {
        var millis = new double[count];
        var next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, callers).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var start = Stopwatch.GetTimestamp();
                await call(first + i);
                millis[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
        }));
        return LatencyStats.From([.. millis], clock.Elapsed.TotalSeconds);
    }

    /// <summary>A password issue for admin, scoped to the admin project, as the admin openrc asks for it.</summary>
    internal static byte[] AdminPasswordBody(string adminPassword) => Encoding.UTF8.GetBytes(
        """{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"name":"Default"},"password":"""
        + JsonSerializer.Serialize(adminPassword) + """}}},"scope":""" + ScopeJson + "}}");

    internal static async Task<string> IssueAsync(HttpClient http, byte[] body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v3/auth/tokens") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        using var response = await http.SendAsync(request);
        await Expect(response, HttpStatusCode.Created);
        return response.Headers.TryGetValues("X-Subject-Token", out var values) ? values.First()
            : throw new InvalidOperationException("POST /v3/auth/tokens answered without X-Subject-Token");
    }

    private static async Task ValidateAsync(HttpClient http, string authToken, string subjectToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v3/auth/tokens");
        request.Headers.Add("X-Auth-Token", authToken);
        request.Headers.Add("X-Subject-Token", subjectToken);
        using var response = await http.SendAsync(request);
        await Expect(response, HttpStatusCode.OK);
    }

    /// <summary>
    /// Identity set up as make run sets it up, in <paramref name="dir"/> on the empty <paramref name="database"/>:
    /// its config, db sync, keys setup and bootstrap; then the server is started (not yet ready).
    /// </summary>
    internal static async Task<Process> StartAsync(string dll, string dir, string database, int port, string adminPassword, string log)
    {
        var config = WriteConfig(dir, database, port, adminPassword);
        await RunCommandAsync("identity", dll, ["db", "sync", "--config-file", config]);
        await RunCommandAsync("identity", dll, ["keys", "setup", "--config-file", config]);
        await RunCommandAsync("identity", dll, ["bootstrap", "--config-file", config]);
        return StartServer("identity", dll, config, log);
    }

    private static string WriteConfig(string dir, string database, int port, string adminPassword)
    {
        var connection = new MySqlConnectionStringBuilder(MySql) { Database = database }.ConnectionString;
        var path = Path.Combine(dir, "identity.conf");
        var catalog = new (string Type, string Name, string Url)[]
        {
            // The fleet's catalog as make run bootstraps it, so token bodies are their real size.
            ("identity", "keystone", $"http://127.0.0.1:{port}/v3"),
            ("compute", "nova", "http://127.0.0.1:8774/v2.1"),
            ("placement", "placement", "http://127.0.0.1:8778"),
            ("network", "neutron", "http://127.0.0.1:9696"),
            ("image", "glance", "http://127.0.0.1:9292"),
            ("volumev3", "cinderv3", "http://127.0.0.1:8776/v3"),
            ("block-storage", "cinder", "http://127.0.0.1:8776/v3"),
        };
        var text = new StringBuilder()
            .AppendLine("host = bench-identity")
            .AppendLine().AppendLine("[api]").AppendLine($"listen = http://127.0.0.1:{port}")
            .AppendLine().AppendLine("[database]").AppendLine($"connection = {connection}")
            .AppendLine().AppendLine("[messaging]").AppendLine($"transport_url = {BrokerUrl}")
            .AppendLine().AppendLine("[keystone_authtoken]").AppendLine($"auth_url = http://127.0.0.1:{port}")
            .AppendLine().AppendLine("[token]").AppendLine($"key_repository = {Path.Combine(dir, "keys")}")
            .AppendLine().AppendLine("[identity]").AppendLine($"password_hash_rounds = {PasswordRounds}")
            .AppendLine().AppendLine("[bootstrap]").AppendLine($"admin_password = {adminPassword}").AppendLine("region = RegionOne");
        foreach (var (type, name, url) in catalog)
            text.AppendLine().AppendLine($"[bootstrap:catalog:{type}]").AppendLine($"name = {name}").AppendLine($"url = {url}");
        File.WriteAllText(path, text.ToString());
        // It holds the admin password and the database account.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    // Questions counts every command a client sends (resets included); Com_* split some out.
    private static async Task<long[]> ServerCountersAsync()
    {
        string[] names = ["Questions", "Com_select", "Com_set_option"];
        await using var c = new MySqlConnection(MySql);
        await c.OpenAsync();
        await using var command = new MySqlCommand("SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions', 'Com_select', 'Com_set_option')", c);
        var values = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync())
                values[reader.GetString(0)] = long.Parse(reader.GetString(1), System.Globalization.CultureInfo.InvariantCulture);
        return [.. names.Select(n => values.GetValueOrDefault(n))];
    }
}
