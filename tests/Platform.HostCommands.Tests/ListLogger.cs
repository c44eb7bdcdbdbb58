using Microsoft.Extensions.Logging;

namespace Platform.HostCommands.Tests;

/// <summary>Keeps every log line, so tests can see what an operator would.</summary>
internal sealed class ListLogger<T> : ILogger<T>
{
    private readonly Lock gate = new();
    private readonly List<(LogLevel Level, string Message)> entries = [];

    public IReadOnlyList<(LogLevel Level, string Message)> Entries
    {
        get { lock (gate) return [.. entries]; }
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (gate) entries.Add((logLevel, formatter(state, exception)));
    }
}
