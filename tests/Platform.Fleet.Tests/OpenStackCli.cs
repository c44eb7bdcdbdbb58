using System.Diagnostics;
using System.Text.Json;

namespace Platform.Fleet.Tests;

/// <summary>The real `openstack` client (Debian's python3-openstackclient) run against the fleet.</summary>
public static class OpenStackCli
{
    public sealed record Result(int ExitCode, string StdOut, string StdErr)
    {
        public JsonElement Json => JsonDocument.Parse(StdOut).RootElement;

        public Result Ok()
        {
            if (ExitCode != 0) throw new Xunit.Sdk.XunitException($"openstack failed ({ExitCode}): {StdErr}\n{StdOut}");
            return this;
        }
    }

    public static async Task<Result> RunAsync(IReadOnlyDictionary<string, string> env, params string[] args)
    {
        var info = new ProcessStartInfo("openstack")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("OS_", StringComparison.Ordinal)).ToList()) info.Environment.Remove(key);
        foreach (var (k, v) in env) info.Environment[k] = v;
        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException($"openstack {string.Join(' ', args)} did not finish within 150 s");
        }
        return new Result(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs a command that must succeed and answers its JSON output (`-f json`).</summary>
    public static async Task<JsonElement> JsonAsync(IReadOnlyDictionary<string, string> env, params string[] args) =>
        (await RunAsync(env, [.. args, "-f", "json"])).Ok().Json;
}
