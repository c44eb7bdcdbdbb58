namespace Platform.TestSupport;

internal static class Docker
{
    /// <summary>True when a Docker engine answers, so Testcontainers can start servers.</summary>
    public static bool IsReachable()
    {
        if (Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 }) return true;
        return File.Exists("/var/run/docker.sock");
    }

    public static InvalidOperationException NoServer(string what, string variable) => new(
        $"no {what} for tests: set {variable} (make test does) or run a Docker engine for Testcontainers");
}
