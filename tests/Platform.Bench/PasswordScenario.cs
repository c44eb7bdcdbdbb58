using System.Diagnostics;
using Identity.Passwords;

namespace Platform.Bench;

/// <summary>
/// The identity service's password hash at its default cost, on one thread: what one password
/// authentication (a verify) and one password change (a hash) cost the CPU.
/// </summary>
public sealed class PasswordScenario : IScenario
{
    private const int Warmup = 2;
    private const int Count = 30;

    public string Name => "password";
    public string Description => $"PBKDF2-HMAC-SHA512 at the default {new PasswordHasherOptions().Rounds} rounds: {Count} hashes and verifies on one thread";

    public Task<ScenarioResult> RunAsync()
    {
        var options = new PasswordHasherOptions();
        var hasher = new Pbkdf2PasswordHasher(options);
        for (var i = 0; i < Warmup; i++) Check(hasher.Verify("warm-up", hasher.Hash("warm-up")));

        List<double> hashes = new(Count), verifies = new(Count);
        double hashSeconds = 0, verifySeconds = 0;
        for (var i = 0; i < Count; i++)
        {
            var password = "bench-password-" + i;
            var start = Stopwatch.GetTimestamp();
            var stored = hasher.Hash(password);
            var hashed = Stopwatch.GetElapsedTime(start);
            start = Stopwatch.GetTimestamp();
            Check(hasher.Verify(password, stored));
            var verified = Stopwatch.GetElapsedTime(start);
            hashes.Add(hashed.TotalMilliseconds);
            verifies.Add(verified.TotalMilliseconds);
            hashSeconds += hashed.TotalSeconds;
            verifySeconds += verified.TotalSeconds;
        }
        var hash = LatencyStats.From(hashes, hashSeconds);
        var verify = LatencyStats.From(verifies, verifySeconds);
        var pairs = Count / (hashSeconds + verifySeconds);
        Console.WriteLine($"  hash                {hash}");
        Console.WriteLine($"  verify              {verify}");
        Console.WriteLine($"  hash + verify       {pairs,9:F1} pairs/s");

        return Task.FromResult(new ScenarioResult(Name,
        [
            new("rounds", "1", options.Rounds),
            new("hash.per_s", "1/s", hash.PerSecond),
            new("hash.p50", "ms", hash.P50Ms),
            new("hash.p99", "ms", hash.P99Ms),
            new("verify.per_s", "1/s", verify.PerSecond),
            new("verify.p50", "ms", verify.P50Ms),
            new("verify.p99", "ms", verify.P99Ms),
            new("hash_and_verify.per_s", "1/s", pairs),
        ]));
    }

    private static void Check(bool ok)
    {
        if (!ok) throw new InvalidOperationException("a password did not verify against its own hash");
    }
}
