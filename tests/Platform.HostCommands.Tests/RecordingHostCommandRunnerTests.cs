using Microsoft.Extensions.DependencyInjection;

namespace Platform.HostCommands.Tests;

public sealed class RecordingHostCommandRunnerTests
{
    [Fact]
    public async Task Records_commands_and_answers_success_by_default()
    {
        var runner = new RecordingHostCommandRunner();

        var result = await runner.RunAsync(new HostCommand("ip", "link", "set", "tap0", "up"));

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.StdOut);
        Assert.Equal(["ip link set tap0 up"], runner.CommandLines);
        Assert.Equal("tap0", runner.Commands[0].Arguments[2]);
    }

    [Fact]
    public async Task The_longest_matching_prefix_answers()
    {
        var runner = new RecordingHostCommandRunner()
            .Respond("ovs-vsctl", [], stdOut: "generic")
            .Respond("ovs-vsctl", ["list-br"], stdOut: "br-int\nbr-ex\n")
            .Respond("ip", ["list-br"], stdOut: "wrong program");

        Assert.Equal("br-int\nbr-ex\n", (await runner.RunAsync(new HostCommand("ovs-vsctl", "list-br"))).StdOut);
        Assert.Equal("generic", (await runner.RunAsync(new HostCommand("ovs-vsctl", "show"))).StdOut);
    }

    [Fact]
    public async Task A_later_script_overrides_an_equal_one()
    {
        var runner = new RecordingHostCommandRunner()
            .Respond("virsh", ["domstate"], stdOut: "running")
            .Respond("virsh", ["domstate"], stdOut: "shut off");

        Assert.Equal("shut off", (await runner.RunAsync(new HostCommand("virsh", "domstate", "instance-1"))).StdOut);
    }

    [Fact]
    public async Task A_scripted_failure_throws_unless_unchecked()
    {
        var runner = new RecordingHostCommandRunner()
            .Respond("ip", ["link", "show"], exitCode: 1, stdErr: "Device \"tap9\" does not exist.");

        var e = await Assert.ThrowsAsync<HostCommandFailedException>(() => runner.RunAsync(new HostCommand("ip", "link", "show", "tap9")));
        Assert.Equal(1, e.ExitCode);

        var result = await runner.RunAsync(new HostCommand("ip", "link", "show", "tap9") { CheckExitCode = false });
        Assert.Equal(1, result.ExitCode);
        Assert.Equal(2, runner.Commands.Count);
    }

    [Fact]
    public async Task A_script_can_throw_a_timeout()
    {
        var runner = new RecordingHostCommandRunner()
            .Respond("virsh", ["shutdown"], c => throw new HostCommandTimeoutException(c, c.Timeout));

        await Assert.ThrowsAsync<HostCommandTimeoutException>(() => runner.RunAsync(new HostCommand("virsh", "shutdown", "instance-1")));
    }

    [Fact]
    public void AddHostCommands_keeps_a_runner_registered_before_it()
    {
        var recording = new RecordingHostCommandRunner();
        using var withRecording = new ServiceCollection().AddSingleton<IHostCommandRunner>(recording).AddHostCommands().BuildServiceProvider();
        using var plain = new ServiceCollection().AddHostCommands().BuildServiceProvider();

        Assert.Same(recording, withRecording.GetRequiredService<IHostCommandRunner>());
        Assert.IsType<ProcessHostCommandRunner>(plain.GetRequiredService<IHostCommandRunner>());
    }
}
