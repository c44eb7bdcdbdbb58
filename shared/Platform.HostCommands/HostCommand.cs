namespace Platform.HostCommands;

/// <summary>
/// A host program and its argument list. Never a shell string: each argument reaches the
/// program as it is, so a name from an API request cannot become shell syntax.
/// </summary>
/// <param name="Program">The executable, a name looked up on PATH or an absolute path.</param>
/// <param name="Arguments">The arguments, one element each.</param>
public sealed record HostCommand(string Program, params IReadOnlyList<string> Arguments)
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Text written to the program's standard input, which is then closed. Never logged.</summary>
    public string? StandardInput { get; init; }

    /// <summary>How long the program may run before its whole process tree is killed.</summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    /// <summary>When set, a non-zero exit code throws <see cref="HostCommandFailedException"/>.</summary>
    public bool CheckExitCode { get; init; } = true;

    /// <summary>Variables to set for the program (a null value removes one it would inherit). Values are never logged.</summary>
    public IReadOnlyDictionary<string, string?>? Environment { get; init; }

    /// <summary>
    /// The arguments hold a secret (a password, a key): logs and error messages show only the
    /// program and how many arguments it had, and leave standard error out.
    /// </summary>
    public bool ArgumentsContainSecrets { get; init; }

    /// <summary>The arguments as a log shows them: shell-quoted for reading, or redacted.</summary>
    public string DisplayArguments =>
        ArgumentsContainSecrets
            ? $"<{Arguments.Count} arguments redacted>"
            : string.Join(' ', Arguments.Select(ShellQuoting.Quote));

    // The generated ToString would print standard input, which may hold a secret.
    public override string ToString() => Arguments.Count == 0 ? Program : $"{Program} {DisplayArguments}";
}
