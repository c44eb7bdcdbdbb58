using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MySqlConnector;

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

    private static readonly TimeSpan ReadyDeadline = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan CommandDeadline = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);

    private const string ScopeJson = """{"project":{"name":"admin","domain":{"name":"Default"}}}""";

    public string Name => "identity";
    public string Description =>
        $"the identity service as a process over HTTP: password issue, rescope, validation; sequential and {Callers} callers";

    private static string MySql => Environment.GetEnvironmentVariable("PLATFORM_BENCH_MYSQL") ?? "Server=127.0.0.1;User ID=platform_test;Password=platform_test";
    private static string BrokerUrl => Environment.GetEnvironmentVariable("PLATFORM_BENCH_RABBITMQ") ?? "rabbit://guest:guest@127.0.0.1:5672/";

    public async Task<ScenarioResult> RunAsync()
    {
        var dll = IdentityDll();
        var database = $"bench_identity_{Guid.NewGuid():N}"[..30];
        var work = Directory.CreateTempSubdirectory("platform-bench-identity-");
        var log = Path.Combine(work.FullName, "identity.log");
        Process? server = null;
        try
        {
            await CreateDatabaseAsync(database);
            var port = FreePort();
            var adminPassword = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
            var config = WriteConfig(work.FullName, database, port, adminPassword);

            await RunCommandAsync(dll, ["db", "sync", "--config-file", config]);
            await RunCommandAsync(dll, ["keys", "setup", "--config-file", config]);
            await RunCommandAsync(dll, ["bootstrap", "--config-file", config]);
            server = StartServer(dll, config, log);

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
            await WaitReadyAsync(http, server, log);
            return await MeasureAsync(http, adminPassword);
        }
        catch
        {
            PrintLogTail(log);
            throw;
        }
        finally
        {
            if (server is not null) await StopAsync(server);
            await DropDatabaseAsync(database);
            try { work.Delete(recursive: true); }
            catch (IOException e) { Console.Error.WriteLine($"  could not remove {work.FullName}: {e.Message}"); }
        }
    }

    private static async Task<ScenarioResult> MeasureAsync(HttpClient http, string adminPassword)
    {
        var passwordBody = Encoding.UTF8.GetBytes(
            """{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"name":"Default"},"password":"""
            + JsonSerializer.Serialize(adminPassword) + """}}},"scope":""" + ScopeJson + "}}");
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

    private static async Task<string> IssueAsync(HttpClient http, byte[] body)
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

    // The body is read in full either way, as a client would.
    private static async Task Expect(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != status)
            throw new InvalidOperationException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery} answered {(int)response.StatusCode}: {body[..Math.Min(body.Length, 500)]}");
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

    // The build of services/Identity in this bench's configuration (the ProjectReference builds it).
    private static string IdentityDll()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = output.Name;
        var configuration = output.Parent!.Name;
        var root = output;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Platform.sln"))) root = root.Parent;
        if (root is null) throw new InvalidOperationException($"no Platform.sln above {AppContext.BaseDirectory}");
        var dll = Path.Combine(root.FullName, "services", "Identity", "bin", configuration, framework, "Identity.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("identity is not built; run make bench", dll);
    }

    // Below 32768, out of the kernel's ephemeral range, so no outgoing connection can take it meanwhile.
    private static int FreePort()
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var port = Random.Shared.Next(20_000, 32_768);
            try
            {
                using var probe = new TcpListener(IPAddress.Loopback, port);
                probe.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken: try another.
            }
        }
        throw new InvalidOperationException("found no free port below 32768");
    }

    private static ProcessStartInfo Dotnet(IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        // The config file alone decides: a PLATFORM_* or ASPNETCORE_URLS variable left in this
        // shell would otherwise override it (environment beats file).
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("PLATFORM_", StringComparison.Ordinal) || k is "ASPNETCORE_URLS" or "DOTNET_URLS").ToList())
            psi.Environment.Remove(key);
        return psi;
    }

    private static async Task RunCommandAsync(string dll, string[] args)
    {
        var psi = Dotnet([dll, .. args]);
        psi.RedirectStandardOutput = psi.RedirectStandardError = true;
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("dotnet did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(CommandDeadline);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"identity {string.Join(' ', args.TakeWhile(a => a != "--config-file"))} did not finish in {CommandDeadline.TotalSeconds:F0} s");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException(
                $"identity {string.Join(' ', args.TakeWhile(a => a != "--config-file"))} exited {process.ExitCode}:\n{await stdout}\n{await stderr}");
    }

    private static Process StartServer(string dll, string config, string log)
    {
        // Through sh only to send its output to a file; exec keeps the pid the server's own.
        var psi = Dotnet(["-c", "exec dotnet \"$0\" --config-file \"$1\" >> \"$2\" 2>&1", dll, config, log]);
        psi.FileName = "/bin/sh";
        psi.RedirectStandardInput = true;
        return Process.Start(psi) ?? throw new InvalidOperationException("identity did not start");
    }

    private static async Task WaitReadyAsync(HttpClient http, Process server, string log)
    {
        var deadline = Stopwatch.StartNew();
        var last = "no answer yet";
        while (deadline.Elapsed < ReadyDeadline)
        {
            if (server.HasExited) throw new InvalidOperationException($"identity exited with {server.ExitCode} before it was ready; see {log}");
            try
            {
                using var response = await http.GetAsync("/readyz");
                if (response.IsSuccessStatusCode)
                {
                    Console.WriteLine($"  identity ready after {deadline.Elapsed.TotalSeconds:F1} s");
                    return;
                }
                last = $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"identity was not ready within {ReadyDeadline.TotalSeconds:F0} s; last /readyz: {last}");
    }

    // SIGTERM first, so it shuts down as under systemd or Kubernetes; a kill if it hangs.
    private static async Task StopAsync(Process server)
    {
        try
        {
            if (!server.HasExited)
            {
                using (var kill = Process.Start("kill", ["-TERM", server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
                    await kill.WaitForExitAsync();
                using var grace = new CancellationTokenSource(StopGrace);
                try
                {
                    await server.WaitForExitAsync(grace.Token);
                }
                catch (OperationCanceledException)
                {
                    Console.Error.WriteLine($"  identity did not stop within {StopGrace.TotalSeconds:F0} s of SIGTERM; killing it");
                    server.Kill(entireProcessTree: true);
                    await server.WaitForExitAsync();
                }
            }
        }
        finally
        {
            server.Dispose();
        }
    }

    private static void PrintLogTail(string log)
    {
        if (!File.Exists(log)) return;
        Console.Error.WriteLine($"  last lines of the identity log ({log}):");
        foreach (var line in File.ReadLines(log).TakeLast(20)) Console.Error.WriteLine("    " + line);
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

    private static async Task CreateDatabaseAsync(string database)
    {
        await using var c = new MySqlConnection(MySql);
        await c.OpenAsync();
        await using var command = new MySqlCommand($"CREATE DATABASE `{database}`", c);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task DropDatabaseAsync(string database)
    {
        try
        {
            await using var c = new MySqlConnection(MySql);
            await c.OpenAsync();
            await using var command = new MySqlCommand($"DROP DATABASE IF EXISTS `{database}`", c);
            await command.ExecuteNonQueryAsync();
        }
        catch (MySqlException e)
        {
            Console.Error.WriteLine($"  could not drop database {database}: {e.Message}");
        }
    }
}
