namespace Platform.HostCommands;

/// <summary>
/// Quotes an argument the way a POSIX shell would read it back, only so that a logged command
/// line can be read and pasted; commands themselves never pass through a shell.
/// </summary>
internal static class ShellQuoting
{
    private static readonly System.Buffers.SearchValues<char> plain =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=,+@%");

    public static string Quote(string argument) =>
        argument.Length > 0 && !argument.AsSpan().ContainsAnyExcept(plain)
            ? argument
            : "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
