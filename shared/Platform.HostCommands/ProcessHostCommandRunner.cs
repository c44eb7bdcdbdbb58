using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Platform.HostCommands;

/// <summary>Runs host programs as child processes of this one.</summary>
public sealed class ProcessHostCommandRunner(ILogger<ProcessHostCommandRunner> logger) : IHostCommandRunner
{
    // How long to wait for a killed tree to be reaped and its pipes to close.
    private static readonly TimeSpan killGrace = TimeSpan.FromSeconds(5);

    // In a warning, enough of stderr to say why; the caller has all of it.
    private const int LoggedStdErrLength = 500;

    private static readonly UTF8Encoding utf8 = new(encoderShouldEmitUTF8Identifier: false);

    public async Task<HostCommandResult> RunAsync(HostCommand command, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.Timeout <= TimeSpan.Zero && command.Timeout != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(command), command.Timeout, "a host command's timeout must be positive");
        ct.ThrowIfCancellationRequested();

        logger.LogDebug("Running {Program} {Arguments}", command.Program, command.DisplayArguments);
        using var process = new Process { StartInfo = StartInfo(command) };
        var stopwatch = Stopwatch.StartNew();
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            logger.LogWarning("Could not start {Program}: {Error}", command.Program, e.Message);
            throw new HostCommandException(command, $"could not start '{command.Program}': {e.Message}", e);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(command.Timeout);
        // Both pipes are drained while input is written: a program that fills one pipe while we
        // wait on another would otherwise block forever.
        var stdout = process.StandardOutput.ReadToEndAsync(deadline.Token);
        var stderr = process.StandardError.ReadToEndAsync(deadline.Token);
        var stdin = WriteInputAsync(process.StandardInput, command.StandardInput, deadline.Token);
        var all = Task.WhenAll(stdout, stderr, stdin, process.WaitForExitAsync(deadline.Token));
        try
        {
            // WaitAsync, not the tasks' own tokens: a pipe read may not notice cancellation.
            await all.WaitAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            await KillTreeAsync(process, all);
            if (ct.IsCancellationRequested)
            {
                logger.LogWarning("Cancelled {Program} {Arguments} after {DurationMs} ms", command.Program, command.DisplayArguments, stopwatch.ElapsedMilliseconds);
                throw new OperationCanceledException($"'{command}' was cancelled and killed", ct);
            }
            logger.LogWarning("Killed {Program} {Arguments}: no exit within {TimeoutMs} ms", command.Program, command.DisplayArguments, (long)command.Timeout.TotalMilliseconds);
            throw new HostCommandTimeoutException(command, command.Timeout);
        }
        catch (Exception)
        {
            // A pipe failed under us: leave no process behind.
            await KillTreeAsync(process, all);
            throw;
        }

        var result = new HostCommandResult(process.ExitCode, await stdout, await stderr, stopwatch.Elapsed);
        Log(command, result);
        if (command.CheckExitCode && result.ExitCode != 0)
            throw new HostCommandFailedException(command, result);
        return result;
    }

    private static ProcessStartInfo StartInfo(HostCommand command)
    {
        var info = new ProcessStartInfo(command.Program)
        {
            UseShellExecute = false,
            // Always redirected so a program never reads this service's own stdin.
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = utf8,
            StandardOutputEncoding = utf8,
            StandardErrorEncoding = utf8,
        };
        foreach (var argument in command.Arguments)
            info.ArgumentList.Add(argument);
        if (command.Environment is not null)
        {
            foreach (var (name, value) in command.Environment)
            {
                if (value is null) info.Environment.Remove(name);
                else info.Environment[name] = value;
            }
        }
        return info;
    }

    private static async Task WriteInputAsync(StreamWriter input, string? text, CancellationToken ct)
    {
        try
        {
            if (text is not null)
            {
                await input.WriteAsync(text.AsMemory(), ct);
                await input.FlushAsync(ct);
            }
        }
        catch (IOException)
        {
            // The program exited or closed its stdin without reading it all; its exit code tells.
        }
        finally
        {
            try { input.Close(); } catch (IOException) { }
        }
    }

    private static async Task KillTreeAsync(Process process, Task pending)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception)
        {
            // It exited on its own meanwhile.
        }
        try
        {
            // Reaps the child and lets the pipes close, so nothing of it outlives the call.
            await process.WaitForExitAsync().WaitAsync(killGrace);
            await pending.WaitAsync(killGrace);
        }
        catch (Exception)
        {
            // Cancelled reads, or a grandchild that escaped the kill still holding a pipe: the
            // caller is owed the timeout, not these.
        }
    }

    private void Log(HostCommand command, HostCommandResult result)
    {
        // A non-zero exit the caller asked to tolerate is an answer, not a problem.
        if (result.ExitCode == 0 || !command.CheckExitCode)
        {
            logger.LogInformation("Ran {Program} {Arguments}: exit code {ExitCode} in {DurationMs} ms",
                command.Program, command.DisplayArguments, result.ExitCode, (long)result.Duration.TotalMilliseconds);
            return;
        }
        var stderr = command.ArgumentsContainSecrets ? "<redacted>" : result.StdErr.Trim();
        if (stderr.Length > LoggedStdErrLength) stderr = stderr[..LoggedStdErrLength] + "...";
        logger.LogWarning("Ran {Program} {Arguments}: exit code {ExitCode} in {DurationMs} ms: {StdErr}",
            command.Program, command.DisplayArguments, result.ExitCode, (long)result.Duration.TotalMilliseconds, stderr);
    }
}
