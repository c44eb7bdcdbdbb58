using Identity.Keys;
using Microsoft.Extensions.Logging.Abstractions;

namespace Identity.Tokens.Tests;

/// <summary>A key repository in a fresh temporary directory, removed afterwards.</summary>
internal sealed class KeyDirectory : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "identity-keys-" + Guid.NewGuid().ToString("N"));

    public KeyDirectory(ManualClock? clock = null)
    {
        Clock = clock ?? new ManualClock();
        Options = new KeyRepositoryOptions
        {
            Directory = Path.Combine(root, "keys"),
            TokenExpiration = TimeSpan.FromHours(1),
            RetirementMargin = TimeSpan.FromMinutes(5),
            ReloadInterval = TimeSpan.FromSeconds(5),
        };
    }

    public ManualClock Clock { get; }
    public KeyRepositoryOptions Options { get; }
    public string Dir => Options.Directory;

    /// <summary>Another instance over the same directory, as a second identity process would be.</summary>
    public KeyRepository Open() => new(Options, Clock, NullLogger<KeyRepository>.Instance);

    public string[] Files() => Directory.GetFiles(Dir).Select(Path.GetFileName).Where(n => !n!.StartsWith('.')).Order(StringComparer.Ordinal).ToArray()!;

    public void Dispose()
    {
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
    }
}
