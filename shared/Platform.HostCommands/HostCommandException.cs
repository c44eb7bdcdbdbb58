namespace Platform.HostCommands;

/// <summary>A host program could not be run as asked; the subclasses say how.</summary>
public class HostCommandException(HostCommand command, string message, Exception? innerException = null)
    : Exception(message, innerException)
{
    public HostCommand Command { get; } = command;
}
