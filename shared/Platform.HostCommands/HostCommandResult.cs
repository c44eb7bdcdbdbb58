namespace Platform.HostCommands;

/// <summary>What a finished host program left behind.</summary>
public sealed record HostCommandResult(int ExitCode, string StdOut, string StdErr, TimeSpan Duration)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>A successful result, for scripted answers in tests.</summary>
    public static HostCommandResult Ok(string stdOut = "") => new(0, stdOut, "", TimeSpan.Zero);
}
