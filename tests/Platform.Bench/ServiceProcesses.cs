using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MySqlConnector;

namespace Platform.Bench;

/// <summary>
/// What the scenarios that run a deployable as its own process share: where its build is, a free
/// port, its sub-commands, starting it, waiting until it is ready, stopping it, its log, and the
/// fresh databases on the local MariaDB it runs on. <c>service</c> is the deployable's name as
/// messages give it (identity, image).
/// </summary>
internal static class ServiceProcesses
{
    private static readonly TimeSpan ReadyDeadline = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan CommandDeadline = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);

    internal static string MySql => Environment.GetEnvironmentVariable("PLATFORM_BENCH_MYSQL") ?? "Server=127.0.0.1;User ID=platform_test;Password=platform_test";
    internal static string BrokerUrl => Environment.GetEnvironmentVariable("PLATFORM_BENCH_RABBITMQ") ?? "rabbit://guest:guest@127.0.0.1:5672/";

    /// <summary>The directory holding Platform.sln, found upwards from this bench's build output.</summary>
    internal static string RepositoryRoot()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Platform.sln"))) root = root.Parent;
        return root?.FullName ?? throw new InvalidOperationException($"no Platform.sln above {AppContext.BaseDirectory}");
    }

    /// <summary>
    /// The build of <c>services/{project}</c> in this bench's configuration (the ProjectReference builds it).
    /// </summary>
    internal static string ServiceDll(string project) => Dll("services", project);

    /// <summary>The build of <c>agents/{project}</c>, as <see cref="ServiceDll"/>.</summary>
    internal static string AgentDll(string project) => Dll("agents", project);

    private static string Dll(string folder, string project)
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = output.Name;
        var configuration = output.Parent!.Name;
        var dll = Path.Combine(RepositoryRoot(), folder, project, "bin", configuration, framework, project + ".dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"{project.ToLowerInvariant()} is not built; run make bench", dll);
    }

    // Below 32768, out of the kernel's ephemeral range, so no outgoing connection can take it meanwhile.
    internal static int FreePort()
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

    internal static async Task RunCommandAsync(string service, string dll, string[] args)
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
            throw new TimeoutException($"{service} {string.Join(' ', args.TakeWhile(a => a != "--config-file"))} did not finish in {CommandDeadline.TotalSeconds:F0} s");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException(
                $"{service} {string.Join(' ', args.TakeWhile(a => a != "--config-file"))} exited {process.ExitCode}:\n{await stdout}\n{await stderr}");
    }

    internal static Process StartServer(string service, string dll, string config, string log)
    {
        // Through sh only to send its output to a file; exec keeps the pid the server's own.
        var psi = Dotnet(["-c", "exec dotnet \"$0\" --config-file \"$1\" >> \"$2\" 2>&1", dll, config, log]);
        psi.FileName = "/bin/sh";
        psi.RedirectStandardInput = true;
        return Process.Start(psi) ?? throw new InvalidOperationException($"{service} did not start");
    }

    internal static async Task WaitReadyAsync(string service, HttpClient http, Process server, string log)
    {
        var deadline = Stopwatch.StartNew();
        var last = "no answer yet";
        while (deadline.Elapsed < ReadyDeadline)
        {
            if (server.HasExited) throw new InvalidOperationException($"{service} exited with {server.ExitCode} before it was ready; see {log}");
            try
            {
                using var response = await http.GetAsync("/readyz");
                if (response.IsSuccessStatusCode)
                {
                    Console.WriteLine($"  {service} ready after {deadline.Elapsed.TotalSeconds:F1} s");
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
        throw new TimeoutException($"{service} was not ready within {ReadyDeadline.TotalSeconds:F0} s; last /readyz: {last}");
    }

    // SIGTERM first, so it shuts down as under systemd or Kubernetes; a kill if it hangs.
    internal static async Task StopAsync(string service, Process server)
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
                    Console.Error.WriteLine($"  {service} did not stop within {StopGrace.TotalSeconds:F0} s of SIGTERM; killing it");
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

    internal static void PrintLogTail(string service, string log)
    {
        if (!File.Exists(log)) return;
        Console.Error.WriteLine($"  last lines of the {service} log ({log}):");
        foreach (var line in File.ReadLines(log).TakeLast(20)) Console.Error.WriteLine("    " + line);
    }

    /// <summary>Reads the body in full either way, as a client would, and returns it.</summary>
    internal static async Task<string> Expect(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != status)
            throw new InvalidOperationException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery} answered {(int)response.StatusCode}: {body[..Math.Min(body.Length, 500)]}");
        return body;
    }

    /// <summary>A client of a deployable on this machine, with room for many concurrent requests.</summary>
    internal static HttpClient LoopbackClient(int port) => new(new SocketsHttpHandler { MaxConnectionsPerServer = 256, UseProxy = false })
    {
        BaseAddress = new Uri($"http://127.0.0.1:{port}"),
        Timeout = TimeSpan.FromSeconds(60),
    };

    internal static StringContent JsonBody(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    private static HttpClient Management() => new()
    {
        BaseAddress = new Uri(Environment.GetEnvironmentVariable("PLATFORM_BENCH_RABBITMQ_MANAGEMENT") ?? "http://127.0.0.1:15672"),
        DefaultRequestHeaders = { Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String("guest:guest"u8.ToArray())) },
    };

    /// <summary>A RabbitMQ virtual host of the run's own, so no queue of another run (or of make run) meets it.</summary>
    internal static async Task CreateVirtualHostAsync(string vhost)
    {
        using var http = Management();
        using var put = await http.PutAsync($"/api/vhosts/{Uri.EscapeDataString(vhost)}", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
        put.EnsureSuccessStatusCode();
        using var grant = await http.PutAsync($"/api/permissions/{Uri.EscapeDataString(vhost)}/guest",
            new StringContent("""{"configure":".*","write":".*","read":".*"}""", System.Text.Encoding.UTF8, "application/json"));
        grant.EnsureSuccessStatusCode();
    }

    internal static async Task DeleteVirtualHostAsync(string vhost)
    {
        try
        {
            using var http = Management();
            using var _ = await http.DeleteAsync($"/api/vhosts/{Uri.EscapeDataString(vhost)}");
        }
        catch (HttpRequestException e)
        {
            Console.Error.WriteLine($"  could not remove vhost {vhost}: {e.Message}");
        }
    }

    internal static async Task CreateDatabaseAsync(string database)
    {
        await using var c = new MySqlConnection(MySql);
        await c.OpenAsync();
        await using var command = new MySqlCommand($"CREATE DATABASE `{database}`", c);
        await command.ExecuteNonQueryAsync();
    }

    internal static async Task DropDatabaseAsync(string database)
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
