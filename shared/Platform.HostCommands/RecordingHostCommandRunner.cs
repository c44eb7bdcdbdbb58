namespace Platform.HostCommands;

/// <summary>
/// A runner for tests of agents: runs nothing, records every command, and answers from scripted
/// responses chosen by program and argument prefix (exit code 0 and no output when none fits).
/// A scripted non-zero exit throws as the real runner would when the command checks its exit code.
/// </summary>
public sealed class RecordingHostCommandRunner : IHostCommandRunner
{
    private readonly Lock gate = new();
    private readonly List<HostCommand> commands = [];
    private readonly List<ScriptedResponse> responses = [];

    /// <summary>Every command run so far, in order.</summary>
    public IReadOnlyList<HostCommand> Commands
    {
        get { lock (gate) return [.. commands]; }
    }

    /// <summary>Every command run so far as a plain command line (<c>ip link set tap0 up</c>), unredacted.</summary>
    public IReadOnlyList<string> CommandLines =>
        [.. Commands.Select(c => string.Join(' ', [c.Program, .. c.Arguments]))];

    /// <summary>Answers commands of <paramref name="program"/> whose arguments start with <paramref name="argumentPrefix"/>.</summary>
    public RecordingHostCommandRunner Respond(string program, IReadOnlyList<string> argumentPrefix,
        string stdOut = "", int exitCode = 0, string stdErr = "") =>
        Respond(program, argumentPrefix, _ => new HostCommandResult(exitCode, stdOut, stdErr, TimeSpan.Zero));

    /// <summary>Answers (or throws, to script a timeout) from <paramref name="answer"/>.</summary>
    public RecordingHostCommandRunner Respond(string program, IReadOnlyList<string> argumentPrefix, Func<HostCommand, HostCommandResult> answer)
    {
        lock (gate) responses.Add(new ScriptedResponse(program, [.. argumentPrefix], answer));
        return this;
    }

    /// <summary>Forgets the recorded commands; scripted responses stay.</summary>
    public void ClearCommands()
    {
        lock (gate) commands.Clear();
    }

    public Task<HostCommandResult> RunAsync(HostCommand command, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        ct.ThrowIfCancellationRequested();
        ScriptedResponse? response;
        lock (gate)
        {
            commands.Add(command);
            // The most specific script wins; among equals, the latest, so a test can override a default.
            response = responses
                .Select((r, i) => (r, i))
                .Where(x => x.r.Matches(command))
                .OrderByDescending(x => x.r.ArgumentPrefix.Count)
                .ThenByDescending(x => x.i)
                .Select(x => x.r)
                .FirstOrDefault();
        }
        var result = response?.Answer(command) ?? HostCommandResult.Ok();
        if (command.CheckExitCode && result.ExitCode != 0)
            throw new HostCommandFailedException(command, result);
        return Task.FromResult(result);
    }

    private sealed record ScriptedResponse(string Program, IReadOnlyList<string> ArgumentPrefix, Func<HostCommand, HostCommandResult> Answer)
    {
        public bool Matches(HostCommand command) =>
            command.Program == Program
            && command.Arguments.Count >= ArgumentPrefix.Count
            && command.Arguments.Take(ArgumentPrefix.Count).SequenceEqual(ArgumentPrefix);
    }
}
