using System.Text.Json;

namespace Platform.Bench;

public interface IScenario
{
    string Name { get; }
    string Description { get; }
    Task<ScenarioResult> RunAsync();
}

public sealed record Measurement(string Name, string Unit, double Value);

public sealed record ScenarioResult(string Scenario, IReadOnlyList<Measurement> Measurements);

/// <summary>Latency statistics of a run of round trips.</summary>
public sealed record LatencyStats(int Count, double Seconds, double PerSecond, double P50Ms, double P99Ms)
{
    public static LatencyStats From(List<double> millis, double seconds)
    {
        millis.Sort();
        double At(double q) => millis[Math.Min(millis.Count - 1, (int)Math.Ceiling(q * millis.Count) - 1)];
        return new LatencyStats(millis.Count, seconds, millis.Count / seconds, At(0.50), At(0.99));
    }

    public override string ToString() => $"{PerSecond,9:F0} calls/s   p50 {P50Ms,7:F3} ms   p99 {P99Ms,7:F3} ms   ({Count} calls in {Seconds:F2} s)";
}

public static class Results
{
    public static string Write(IReadOnlyList<ScenarioResult> results)
    {
        var root = FindRepositoryRoot();
        var dir = Path.Combine(root, ".platform", "bench", "results");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, $"bench-{DateTime.UtcNow:yyyyMMddTHHmmssZ}.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new { at = DateTime.UtcNow, machine = Environment.MachineName, cores = Environment.ProcessorCount, results },
            new JsonSerializerOptions { WriteIndented = true }));
        return path;
    }

    private static string FindRepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Platform.sln"))) dir = dir.Parent;
        return dir?.FullName ?? Directory.GetCurrentDirectory();
    }
}
