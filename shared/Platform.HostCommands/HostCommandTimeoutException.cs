namespace Platform.HostCommands;

/// <summary>A host program outlived its <see cref="HostCommand.Timeout"/> and was killed with its children.</summary>
public sealed class HostCommandTimeoutException(HostCommand command, TimeSpan timeout)
    : HostCommandException(command, $"'{command}' did not finish within {timeout.TotalSeconds:0.###} s and was killed")
{
    public TimeSpan Timeout { get; } = timeout;
}
