using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;

namespace Platform.Fleet.Tests;

/// <summary>One line of shared/scripts/fleet.list: the list `make run` starts, read here too.</summary>
public sealed record Deployable(string Name, string Project, string Kind, int DefaultPort, string? Database)
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static IReadOnlyList<Deployable> All() =>
        [.. File.ReadAllLines(Path.Combine(RepositoryRoot, "shared", "scripts", "fleet.list"))
            .Where(l => l.Trim().Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(f => new Deployable(f[0], f[1], f[2], int.Parse(f[3]), f[4] == "-" ? null : f[4]))];

    /// <summary>The built assembly, in the configuration this test project was built in.</summary>
    public string Dll
    {
        get
        {
            var configuration = typeof(Deployable).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
            var name = Path.GetFileName(Project);
            var path = Path.Combine(RepositoryRoot, Project, "bin", configuration, "net10.0", name + ".dll");
            return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is not built: build Platform.sln -c {configuration} first");
        }
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Platform.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Platform.sln not found above the test binaries");
    }

    private static int nextPort = 20000 + Random.Shared.Next(0, 8000);

    /// <summary>
    /// A port that is free now and below the kernel's ephemeral range (32768 and up), so the
    /// fleet's own outgoing connections cannot take it before the service binds it.
    /// </summary>
    public static int FreePort()
    {
        while (true)
        {
            var port = Interlocked.Increment(ref nextPort);
            if (port > 32000) Interlocked.Exchange(ref nextPort, 20000);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // taken: try the next one
            }
        }
    }
}

/// <summary>A deployable running as its own process, as `make run` starts it.</summary>
public sealed class FleetProcess(Deployable deployable, int port, string configFile, string logFile)
{
    public Deployable Deployable { get; } = deployable;
    public int Port { get; } = port;
    public string ConfigFile { get; } = configFile;
    public string LogFile { get; } = logFile;
    public Process? Process { get; private set; }
    public Uri BaseUri => new($"http://127.0.0.1:{Port}");

    /// <summary>Runs `dotnet X.dll words --config-file F` to completion; returns its exit code.</summary>
    public async Task<int> RunCommandAsync(params string[] words)
    {
        using var process = Start(words);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(cts.Token);
        return process.ExitCode;
    }

    public void StartServer() => Process = Start([]);

    private Process Start(string[] words)
    {
        // The shell only redirects and then becomes dotnet, so the pid is the service's own.
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("exec dotnet \"$0\" \"$@\" >> \"$LOG\" 2>&1 < /dev/null");
        info.ArgumentList.Add(Deployable.Dll);
        foreach (var w in words) info.ArgumentList.Add(w);
        info.ArgumentList.Add("--config-file");
        info.ArgumentList.Add(ConfigFile);
        info.Environment["LOG"] = LogFile;
        return System.Diagnostics.Process.Start(info)!;
    }

    /// <summary>SIGTERM, as `make stop` and Kubernetes send; true when it exited in time.</summary>
    public async Task<bool> TerminateAsync(TimeSpan grace)
    {
        if (Process is null || Process.HasExited) return true;
        using (var kill = System.Diagnostics.Process.Start("kill", ["-TERM", Process.Id.ToString()]))
            await kill.WaitForExitAsync();
        using var cts = new CancellationTokenSource(grace);
        try
        {
            await Process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            Process.Kill(entireProcessTree: true);
            return false;
        }
    }

    public string LogTail(int lines = 12) =>
        File.Exists(LogFile) ? string.Join('\n', File.ReadAllLines(LogFile).TakeLast(lines)) : "(no log)";
}
