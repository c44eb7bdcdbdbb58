using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Platform.TestSupport;
using static Platform.Fleet.Tests.OpenStackCli;

namespace Platform.Fleet.Tests;

/// <summary>
/// One server create, started with a trace of the test's own, followed through every service it
/// touches by that trace id in their logs, each line also naming its request.
/// </summary>
[Collection(FleetCollection.Name)]
public sealed class TraceTests(FleetFixture fleet)
{
    /// <summary>The services a create passes through; each must log under the create's trace.</summary>
    private static readonly string[] Path = ["compute-api", "conductor", "scheduler", "compute-agent", "image", "network-server"];

    private Dictionary<string, string> Admin => fleet.OpenRc();
    private Dictionary<string, string> Demo => fleet.OpenRc("demo", "demo", fleet.DemoPassword);

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    /// <summary>One JSON log line and the key/value pairs of its scopes.</summary>
    private sealed record LogLine(string Service, string Category, string Message, IReadOnlyList<(string Key, string? Value)> Scopes)
    {
        public bool Has(string key, Func<string?, bool> test) => Scopes.Any(s => s.Key == key && test(s.Value));

        public override string ToString() => $"{Service} {Category}: {Message} [{string.Join(", ", Scopes.Select(s => $"{s.Key}={s.Value}"))}]";
    }

    private List<LogLine> Lines(string service)
    {
        var file = fleet.Get(service).LogFile;
        var lines = new List<LogLine>();
        // The service is still writing: its last line may be half there.
        foreach (var text in File.ReadAllLines(file))
        {
            if (!text.StartsWith('{')) continue;
            try
            {
                using var json = JsonDocument.Parse(text);
                var root = json.RootElement;
                var scopes = new List<(string, string?)>();
                if (root.TryGetProperty("Scopes", out var array))
                    foreach (var scope in array.EnumerateArray().Where(s => s.ValueKind == JsonValueKind.Object))
                        foreach (var p in scope.EnumerateObject().Where(p => p.Name != "Message"))
                            scopes.Add((p.Name, p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.ToString()));
                lines.Add(new LogLine(service, root.GetProperty("Category").GetString()!, root.GetProperty("Message").GetString()!, scopes));
            }
            catch (JsonException)
            {
                // not a whole line yet
            }
        }
        return lines;
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string url, string token, string? traceparent = null, object? body = null)
    {
        using var request = new HttpRequestMessage(method, url);
        request.Headers.Add("X-Auth-Token", token);
        if (traceparent is not null) request.Headers.Add("traceparent", traceparent);
        if (body is not null) request.Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        return await http.SendAsync(request);
    }

    [Fact]
    public async Task A_server_create_is_one_trace_across_the_fleet_and_every_line_of_it_names_its_request()
    {
        var flavorId = (await JsonAsync(Admin, "flavor", "create", "--vcpus", "1", "--ram", "512", "--disk", "1", Unique("m1.trace")))
            .GetProperty("id").GetString()!;
        string imageId;
        var file = System.IO.Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(file, System.Security.Cryptography.RandomNumberGenerator.GetBytes(16 * 1024));
            imageId = (await JsonAsync(Admin, "image", "create", "--public", "--file", file, "--disk-format", "qcow2", "--container-format", "bare", Unique("img-trace")))
                .GetProperty("id").GetString()!;
        }
        finally
        {
            File.Delete(file);
        }
        // A network of the project's own, so the network service checks it and makes the port.
        var netName = Unique("net-trace");
        var networkId = (await JsonAsync(Demo, "network", "create", netName)).GetProperty("id").GetString()!;
        await JsonAsync(Demo, "subnet", "create", "--network", netName, "--subnet-range", "10.31.0.0/24", Unique("sub-trace"));
        var token = (await RunAsync(Demo, "token", "issue", "-f", "value", "-c", "id")).Ok().StdOut.Trim();

        // The caller's trace: its id is chosen here, as a client that traces its own work would.
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        var traceparent = $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01";
        var servers = $"http://127.0.0.1:{fleet.Get("compute-api").Port}/v2.1/servers";
        // This process traces nothing of its own: the only trace header sent is the one above.
        using var http = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null });

        string serverId, requestId;
        using (var created = await SendAsync(http, HttpMethod.Post, servers, token, traceparent, new
        {
            server = new { name = Unique("vm-trace"), imageRef = imageId, flavorRef = flavorId, networks = new[] { new { uuid = networkId } } },
        }))
        {
            Assert.True(created.StatusCode == HttpStatusCode.Accepted, $"create answered {(int)created.StatusCode}: {await created.Content.ReadAsStringAsync()}");
            using var body = JsonDocument.Parse(await created.Content.ReadAsStringAsync());
            serverId = body.RootElement.GetProperty("server").GetProperty("id").GetString()!;
            requestId = created.Headers.GetValues("x-openstack-request-id").Single();
        }

        try
        {
            string status = "";
            Assert.True(await Eventually.TrueAsync(async () =>
            {
                using var shown = await SendAsync(http, HttpMethod.Get, $"{servers}/{serverId}", token);
                using var body = JsonDocument.Parse(await shown.Content.ReadAsStringAsync());
                status = body.RootElement.GetProperty("server").GetProperty("status").GetString()!;
                return status is "ACTIVE" or "ERROR";
            }, TimeSpan.FromSeconds(90), TimeSpan.FromMilliseconds(500)), $"server {serverId} is still {status}");
            Assert.Equal("ACTIVE", status);

            // Every service on the path logged under the caller's trace. A consumer logs its line
            // once it is done, and console output is written behind the caller: give it a moment.
            Dictionary<string, List<LogLine>> traced = [];
            var complete = await Eventually.TrueAsync(() =>
            {
                traced = Path.ToDictionary(s => s, s => Lines(s).Where(l => l.Has("TraceId", v => v == traceId)).ToList());
                return Task.FromResult(traced.Values.All(l => l.Count > 0));
            }, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(250));
            Assert.True(complete, $"no line with trace {traceId} from {string.Join(", ", traced.Where(t => t.Value.Count == 0).Select(t => t.Key))}");

            foreach (var (service, lines) in traced)
            {
                // Each line of the trace names a request of its service ...
                Assert.All(lines, l => Assert.True(l.Has("RequestId", v => v?.StartsWith("req-", StringComparison.Ordinal) == true), $"no request id: {l}"));
                // ... and the create's own request id follows the work: as the request id in the
                // compute API, as the global request id everywhere after it.
                var key = service == "compute-api" ? "RequestId" : "GlobalRequestId";
                Assert.True(lines.Any(l => l.Has(key, v => v == requestId)),
                    $"{service}: no line of the trace has {key} {requestId}:\n{string.Join('\n', lines)}");
            }
        }
        finally
        {
            using (await SendAsync(http, HttpMethod.Delete, $"{servers}/{serverId}", token)) { }
            Assert.True(await Eventually.TrueAsync(async () =>
            {
                using var shown = await SendAsync(http, HttpMethod.Get, $"{servers}/{serverId}", token);
                return shown.StatusCode == HttpStatusCode.NotFound;
            }, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(500)), $"server {serverId} was not deleted");
        }
    }
}
