namespace Platform.HostCommands;

/// <summary>
/// The one way agents run host programs (ip, ovs-vsctl, iptables, dnsmasq, virsh), as neutron's
/// ip_lib goes through utils.execute: one place to log, time out and fake them in tests.
/// </summary>
public interface IHostCommandRunner
{
    /// <summary>
    /// Runs <paramref name="command"/> to completion.
    /// </summary>
    /// <exception cref="HostCommandFailedException">It exited non-zero and <see cref="HostCommand.CheckExitCode"/> is set.</exception>
    /// <exception cref="HostCommandTimeoutException">It outlived <see cref="HostCommand.Timeout"/>; it has been killed.</exception>
    /// <exception cref="HostCommandException">The program could not be started.</exception>
    Task<HostCommandResult> RunAsync(HostCommand command, CancellationToken ct = default);
}
