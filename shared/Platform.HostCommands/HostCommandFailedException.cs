namespace Platform.HostCommands;

/// <summary>A host program exited non-zero while <see cref="HostCommand.CheckExitCode"/> was set.</summary>
public sealed class HostCommandFailedException(HostCommand command, HostCommandResult result)
    : HostCommandException(command, Describe(command, result))
{
    // Enough of stderr to say why; the whole of it stays in StdErr.
    private const int MessageStdErrLength = 2000;

    public HostCommandResult Result { get; } = result;
    public int ExitCode => Result.ExitCode;
    public string StdErr => Result.StdErr;
    public string StdOut => Result.StdOut;

    private static string Describe(HostCommand command, HostCommandResult result)
    {
        var message = $"'{command}' exited with code {result.ExitCode}";
        var stderr = result.StdErr.Trim();
        // A program given a secret may echo it back in its complaint.
        if (command.ArgumentsContainSecrets || stderr.Length == 0) return message;
        return stderr.Length > MessageStdErrLength
            ? $"{message}: {stderr[..MessageStdErrLength]}..."
            : $"{message}: {stderr}";
    }
}
