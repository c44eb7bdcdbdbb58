using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Platform.HostCommands.Tests;

public sealed class ProcessHostCommandRunnerTests
{
    private readonly ListLogger<ProcessHostCommandRunner> logger = new();
    private readonly ProcessHostCommandRunner runner;

    public ProcessHostCommandRunnerTests() => runner = new ProcessHostCommandRunner(logger);

    [Fact]
    public async Task Runs_a_program_with_its_arguments_untouched()
    {
        var result = await runner.RunAsync(new HostCommand("/bin/echo", "hello", "two words", "$HOME;rm"));

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("hello two words $HOME;rm\n", result.StdOut);
        Assert.Equal("", result.StdErr);
        Assert.True(result.Duration > TimeSpan.Zero);
    }

    [Fact]
    public async Task Logs_the_command_before_at_debug_and_after_at_information()
    {
        await runner.RunAsync(new HostCommand("/bin/echo", "a b"));

        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Debug && e.Message == "Running /bin/echo 'a b'");
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Information
            && e.Message.StartsWith("Ran /bin/echo 'a b': exit code 0 in ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_non_zero_exit_throws_with_exit_code_and_stderr()
    {
        var command = new HostCommand("/bin/sh", "-c", "echo 'Cannot find device' >&2; exit 3");

        var e = await Assert.ThrowsAsync<HostCommandFailedException>(() => runner.RunAsync(command));

        Assert.Equal(3, e.ExitCode);
        Assert.Equal("Cannot find device\n", e.StdErr);
        Assert.Contains("exited with code 3: Cannot find device", e.Message);
        Assert.Same(command, e.Command);
        Assert.Contains(logger.Entries, l => l.Level == LogLevel.Warning && l.Message.Contains("exit code 3", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_non_zero_exit_is_returned_when_not_checked()
    {
        var result = await runner.RunAsync(new HostCommand("/bin/sh", "-c", "exit 3") { CheckExitCode = false });

        Assert.Equal(3, result.ExitCode);
        Assert.False(result.Succeeded);
        Assert.DoesNotContain(logger.Entries, l => l.Level >= LogLevel.Warning);
    }

    [Fact]
    public async Task Standard_input_reaches_the_program()
    {
        var result = await runner.RunAsync(new HostCommand("cat") { StandardInput = "line one\nlíne two\n" });

        Assert.Equal("line one\nlíne two\n", result.StdOut);
    }

    [Fact]
    public async Task Stdin_is_closed_when_none_is_given()
    {
        // cat would wait forever if it could read this process's own stdin.
        var result = await runner.RunAsync(new HostCommand("cat") { Timeout = TimeSpan.FromSeconds(10) });

        Assert.Equal("", result.StdOut);
    }

    [Fact]
    public async Task Large_output_on_both_pipes_does_not_deadlock()
    {
        // Far beyond a pipe's 64 KiB buffer on each stream, written interleaved.
        var script = "head -c 8000000 /dev/zero | tr '\\0' a; head -c 3000000 /dev/zero | tr '\\0' e >&2; echo end";
        var result = await runner.RunAsync(new HostCommand("/bin/sh", "-c", script) { Timeout = TimeSpan.FromSeconds(60) });

        Assert.Equal(8_000_004, result.StdOut.Length);
        Assert.EndsWith("aend\n", result.StdOut, StringComparison.Ordinal);
        Assert.Equal(3_000_000, result.StdErr.Length);
    }

    [Fact]
    public async Task Large_input_and_output_together_do_not_deadlock()
    {
        var input = new string('x', 5_000_000);
        var result = await runner.RunAsync(new HostCommand("cat") { StandardInput = input, Timeout = TimeSpan.FromSeconds(60) });

        Assert.Equal(input.Length, result.StdOut.Length);
    }

    [Fact]
    public async Task Environment_is_set_and_removed()
    {
        var command = new HostCommand("/bin/sh", "-c", "echo \"$PLATFORM_TEST_A|${HOME:-unset}\"")
        {
            Environment = new Dictionary<string, string?> { ["PLATFORM_TEST_A"] = "set", ["HOME"] = null },
        };

        var result = await runner.RunAsync(command);

        Assert.Equal("set|unset\n", result.StdOut);
    }

    [Fact]
    public async Task A_timeout_kills_the_process_and_its_children_quickly()
    {
        var pidFile = Path.GetTempFileName();
        try
        {
            // The shell writes its own pid and its child's, then waits on the child.
            var command = new HostCommand("/bin/sh", "-c", "sleep 30 & echo $$ $! > \"$0\"; wait", pidFile)
            {
                Timeout = TimeSpan.FromMilliseconds(500),
            };
            var clock = Stopwatch.StartNew();

            var e = await Assert.ThrowsAsync<HostCommandTimeoutException>(() => runner.RunAsync(command));

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
            Assert.Equal(TimeSpan.FromMilliseconds(500), e.Timeout);
            var pids = (await File.ReadAllTextAsync(pidFile)).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.Equal(2, pids.Length);
            foreach (var pid in pids)
                await AssertGoneAsync(int.Parse(pid));
        }
        finally
        {
            File.Delete(pidFile);
        }
    }

    [Fact]
    public async Task Cancellation_kills_the_process()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => runner.RunAsync(new HostCommand("sleep", "30"), cts.Token));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_missing_program_gives_a_host_command_exception()
    {
        var e = await Assert.ThrowsAsync<HostCommandException>(() => runner.RunAsync(new HostCommand("/nonexistent/ovs-vsctl", "show")));

        Assert.Contains("/nonexistent/ovs-vsctl", e.Message);
    }

    [Fact]
    public async Task Secret_arguments_and_their_stderr_are_redacted()
    {
        var command = new HostCommand("/bin/sh", "-c", "echo hunter2 >&2; exit 1", "hunter2") { ArgumentsContainSecrets = true };

        var e = await Assert.ThrowsAsync<HostCommandFailedException>(() => runner.RunAsync(command));

        Assert.DoesNotContain("hunter2", e.Message);
        Assert.Equal("hunter2\n", e.StdErr);
        Assert.NotEmpty(logger.Entries);
        Assert.All(logger.Entries, l => Assert.DoesNotContain("hunter2", l.Message));
        Assert.Contains(logger.Entries, l => l.Message.Contains("<3 arguments redacted>", StringComparison.Ordinal));
    }

    private static async Task AssertGoneAsync(int pid)
    {
        // A killed grandchild is reaped by init, which in a container may be slow or never come:
        // a zombie has stopped running, which is what matters.
        for (var i = 0; i < 50; i++)
        {
            if (!IsRunning(pid)) return;
            await Task.Delay(100);
        }
        Assert.Fail($"process {pid} is still running");
    }

    private static bool IsRunning(int pid)
    {
        string stat;
        try { stat = File.ReadAllText($"/proc/{pid}/stat"); }
        catch (IOException) { return false; }
        // The state letter follows the parenthesised command name.
        var state = stat[(stat.LastIndexOf(')') + 2)..][0];
        return state is not ('Z' or 'X');
    }
}
