using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Platform.Hosting;

/// <summary>
/// A sub-command of a deployable, run instead of the server: <c>dotnet Identity.dll db sync</c>,
/// as <c>nova-manage db sync</c> and <c>keystone-manage bootstrap</c> are.
/// </summary>
public interface IServiceCommand
{
    /// <summary>The words that select it, e.g. <c>["db", "sync"]</c>.</summary>
    IReadOnlyList<string> Words { get; }

    string Help { get; }

    /// <summary>Runs the command; <paramref name="rest"/> holds the words after <see cref="Words"/>.</summary>
    Task<int> RunAsync(IServiceProvider services, IReadOnlyList<string> rest, CancellationToken cancellationToken);
}

public static class ServiceCommandExtensions
{
    /// <summary>
    /// Runs the sub-command the positional arguments name, or the server when there are none.
    /// </summary>
    public static async Task<int> RunServiceAsync(this WebApplication app, string[] args)
    {
        var words = PositionalWords(args);
        if (words.Count == 0)
        {
            await app.RunAsync();
            return 0;
        }

        var commands = app.Services.GetServices<IServiceCommand>().ToList();
        var command = commands
            .Where(c => c.Words.Count <= words.Count && c.Words.SequenceEqual(words.Take(c.Words.Count)))
            .OrderByDescending(c => c.Words.Count)
            .FirstOrDefault();
        if (command is null)
        {
            await Console.Error.WriteLineAsync($"unknown command: {string.Join(' ', words)}");
            foreach (var c in commands)
                await Console.Error.WriteLineAsync($"  {string.Join(' ', c.Words),-20} {c.Help}");
            return 2;
        }
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
        return await command.RunAsync(app.Services, words.Skip(command.Words.Count).ToList(), cts.Token);
    }

    private static List<string> PositionalWords(string[] args)
    {
        var words = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i].StartsWith('-'))
            {
                if (!args[i].Contains('=') && i + 1 < args.Length && !args[i + 1].StartsWith('-')) i++;
                continue;
            }
            words.Add(args[i]);
        }
        return words;
    }
}
