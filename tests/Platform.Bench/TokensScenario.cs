using System.Buffers.Text;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;
using Platform.Auth;

namespace Platform.Bench;

/// <summary>
/// Token validation on one thread: the raw ES256 verify is the floor every first-seen token pays,
/// so the validator's rate for distinct tokens is given as a share of it; repeats of one token
/// are served from the validator's cache and measured on their own.
/// </summary>
public sealed class TokensScenario : IScenario
{
    private const int Distinct = 20_000;
    private const int Warmup = 2_000;
    private const int Round = 1_000;
    private const int Repeats = 3_000_000;
    private const int RepeatSamples = 200_000;

    public string Name => "tokens";
    public string Description => $"ES256 on one thread: raw verifies and first-seen validations over {Distinct} distinct tokens, {Repeats} repeat validations of one token";

    public async Task<ScenarioResult> RunAsync()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        const string kid = "bench-key";
        var signer = new TokenSigner(key, kid);
        var now = DateTimeOffset.UtcNow;
        var tokens = Enumerable.Range(0, Distinct + Warmup).Select(i => signer.Sign(Payload(now, i))).ToArray();
        // The validator gets the key as a service would: parsed from the published set.
        var published = Jwks.Parse(Jwks.Serialize([(kid, key)]));
        var publicKey = ((ECDsaSecurityKey)published[kid]).ECDsa;

        var validator = new TokenValidator(new StaticSigningKeyProvider(published), new InMemoryTokenRevocationList(TimeProvider.System),
            new AuthTokenSettings(), TimeProvider.System);
        var (raw, firstSeen) = await CompareAsync(publicKey, validator, tokens);
        Console.WriteLine($"  raw ES256 verify           {raw}");
        var ratio = firstSeen.PerSecond / raw.PerSecond;
        Console.WriteLine($"  first-seen validations     {firstSeen}");
        // The median is less swayed by collections and neighbours than the mean rate.
        var medianRatio = raw.P50Ms / firstSeen.P50Ms;
        Console.WriteLine($"  ratio first-seen/raw       {ratio:P0} of calls/s (aim >= 75%); {medianRatio:P0} by p50");

        var (repeatRate, repeat) = await RepeatsAsync(validator, tokens[0]);
        Console.WriteLine($"  repeat validations         {repeatRate,9:F0} calls/s (aim > 500000)   per-call p50 {repeat.P50Ms * 1000,6:F3} us   p99 {repeat.P99Ms * 1000,6:F3} us");

        return new ScenarioResult(Name,
        [
            new("raw_verify.per_s", "1/s", raw.PerSecond),
            new("raw_verify.p50", "ms", raw.P50Ms),
            new("raw_verify.p99", "ms", raw.P99Ms),
            new("first_seen.per_s", "1/s", firstSeen.PerSecond),
            new("first_seen.p50", "ms", firstSeen.P50Ms),
            new("first_seen.p99", "ms", firstSeen.P99Ms),
            new("ratio.first_seen_to_raw", "validator/raw", ratio),
            new("ratio.first_seen_to_raw.p50", "raw/validator", medianRatio),
            new("repeat.per_s", "1/s", repeatRate),
            new("repeat.p50", "ms", repeat.P50Ms),
            new("repeat.p99", "ms", repeat.P99Ms),
        ]);
    }

    private static TokenPayload Payload(DateTimeOffset now, int i) => new()
    {
        UserId = "u-" + i,
        UserName = "bench",
        UserDomainId = "default",
        ProjectId = "p-1",
        ProjectName = "bench",
        ProjectDomainId = "default",
        Roles = ["member", "reader"],
        RoleIds = ["r-member", "r-reader"],
        Methods = ["password"],
        AuditIds = [Guid.NewGuid().ToString("N")],
        IssuedAt = now,
        ExpiresAt = now.AddHours(1),
        Issuer = "http://identity.bench",
    };

    // Raw verifies and first-seen validations alternate in rounds, so a busy neighbour on the
    // machine slows both alike instead of skewing their ratio.
    private static async Task<(LatencyStats Raw, LatencyStats FirstSeen)> CompareAsync(ECDsa key, TokenValidator validator, string[] tokens)
    {
        // What the validator cannot avoid: ECDSA over the JWS signing input, nothing else.
        var inputs = tokens.Select(t => Encoding.ASCII.GetBytes(t[..t.LastIndexOf('.')])).ToArray();
        var signatures = tokens.Select(t => Base64Url.DecodeFromChars(t.AsSpan(t.LastIndexOf('.') + 1))).ToArray();
        for (var i = Distinct; i < tokens.Length; i++)
        {
            Check(key.VerifyData(inputs[i], signatures[i], HashAlgorithmName.SHA256));
            Check((await validator.ValidateAsync(tokens[i])).IsValid);
        }

        List<double> raw = new(Distinct), seen = new(Distinct);
        double rawSeconds = 0, seenSeconds = 0;
        for (var round = 0; round < Distinct; round += Round)
        {
            var start = Stopwatch.GetTimestamp();
            for (var i = round; i < round + Round; i++)
            {
                var t = Stopwatch.GetTimestamp();
                Check(key.VerifyData(inputs[i], signatures[i], HashAlgorithmName.SHA256));
                raw.Add(Millis(t));
            }
            rawSeconds += Stopwatch.GetElapsedTime(start).TotalSeconds;

            start = Stopwatch.GetTimestamp();
            for (var i = round; i < round + Round; i++)
            {
                var t = Stopwatch.GetTimestamp();
                Check((await validator.ValidateAsync(tokens[i])).IsValid);
                seen.Add(Millis(t));
            }
            seenSeconds += Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
        return (LatencyStats.From(raw, rawSeconds), LatencyStats.From(seen, seenSeconds));
    }

    // The rate comes from an untimed loop; per-call timing would add the clock's own cost to it.
    private static async Task<(double PerSecond, LatencyStats Latency)> RepeatsAsync(TokenValidator validator, string token)
    {
        Check((await validator.ValidateAsync(token)).IsValid);
        for (var i = 0; i < RepeatSamples; i++) Check((await validator.ValidateAsync(token)).IsValid);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < Repeats; i++) Check((await validator.ValidateAsync(token)).IsValid);
        var rate = Repeats / clock.Elapsed.TotalSeconds;
        var latency = await MeasureAsync(RepeatSamples, async _ => Check((await validator.ValidateAsync(token)).IsValid));
        return (rate, latency);
    }

    private static async Task<LatencyStats> MeasureAsync(int count, Func<int, Task> op)
    {
        var millis = new List<double>(count);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await op(i);
            millis.Add(Millis(start));
        }
        return LatencyStats.From(millis, clock.Elapsed.TotalSeconds);
    }

    // From raw timestamps: a TimeSpan rounds to 100 ns, coarser than a cached validation.
    private static double Millis(long start) => (Stopwatch.GetTimestamp() - start) * 1000.0 / Stopwatch.Frequency;

    private static void Check(bool ok)
    {
        if (!ok) throw new InvalidOperationException("a token that should validate did not");
    }
}
