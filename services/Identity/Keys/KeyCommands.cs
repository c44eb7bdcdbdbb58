using Microsoft.Extensions.DependencyInjection;
using Platform.Hosting;

namespace Identity.Keys;

/// <summary><c>keys setup</c>: keystone-manage fernet_setup for the ES256 keys. Safe to run again.</summary>
public sealed class KeysSetupCommand : IServiceCommand
{
    public IReadOnlyList<string> Words { get; } = ["keys", "setup"];
    public string Help => "create the token signing key repository (a primary and a staged key) if it has no keys";

    public Task<int> RunAsync(IServiceProvider services, IReadOnlyList<string> rest, CancellationToken cancellationToken)
    {
        var repository = services.GetRequiredService<KeyRepository>();
        try
        {
            var created = repository.Setup();
            Console.WriteLine(created ? $"created keys in {repository.Directory}" : $"{repository.Directory} already has keys; nothing changed");
            KeyReport.Print(repository.Current);
            return Task.FromResult(0);
        }
        catch (Exception e) when (KeyReport.IsExpected(e))
        {
            Console.Error.WriteLine($"keys setup failed: {e.Message}");
            return Task.FromResult(1);
        }
    }
}

/// <summary><c>keys rotate</c>: keystone-manage fernet_rotate for the ES256 keys.</summary>
public sealed class KeysRotateCommand : IServiceCommand
{
    public IReadOnlyList<string> Words { get; } = ["keys", "rotate"];
    public string Help => "promote the staged signing key, stage a new one, prune keys whose tokens have all expired";

    public Task<int> RunAsync(IServiceProvider services, IReadOnlyList<string> rest, CancellationToken cancellationToken)
    {
        var repository = services.GetRequiredService<KeyRepository>();
        try
        {
            var result = repository.Rotate();
            Console.WriteLine($"rotated keys in {repository.Directory}; pruned: {(result.Pruned.Count == 0 ? "none" : string.Join(", ", result.Pruned))}");
            KeyReport.Print(result.Keys);
            return Task.FromResult(0);
        }
        catch (Exception e) when (KeyReport.IsExpected(e))
        {
            Console.Error.WriteLine($"keys rotate failed: {e.Message}");
            return Task.FromResult(1);
        }
    }
}

internal static class KeyReport
{
    // What an operator can fix (no setup yet, rights, a read-only mount): a message, not a stack trace.
    public static bool IsExpected(Exception e) => e is InvalidOperationException or IOException or UnauthorizedAccessException;

    // Indexes, roles and key ids only: never key material.
    public static void Print(KeySet keys)
    {
        foreach (var key in keys.Keys)
            Console.WriteLine($"  {key.Index,4}.pem  {key.Role.ToString().ToLowerInvariant(),-9}  {key.KeyId}{(key.RetiredAt is { } at ? $"  retired {at:o}" : "")}");
    }
}
