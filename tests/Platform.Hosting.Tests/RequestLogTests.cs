using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.Hosting;

namespace Platform.Hosting.Tests;

/// <summary>
/// What a service logs for a request it serves, through the real defaults on a real port: one
/// request line, and every line of the request carrying its request id and its trace id.
/// </summary>
public sealed class RequestLogTests
{
    private sealed record Line(string Category, LogLevel Level, string Message, IReadOnlyList<KeyValuePair<string, object?>> Scopes)
    {
        public object? Scope(string key) => Scopes.LastOrDefault(s => s.Key == key).Value;

        public bool HasScope(string key, Func<object?, bool> test) => Scopes.Any(s => s.Key == key && test(s.Value));
    }

    /// <summary>Keeps every line with the key/value pairs of all its scopes, as the JSON console writes them.</summary>
    private sealed class CapturingProvider : ILoggerProvider, ISupportExternalScope
    {
        private IExternalScopeProvider scopes = new LoggerExternalScopeProvider();

        public ConcurrentQueue<Line> Lines { get; } = new();

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => scopes = scopeProvider;

        public ILogger CreateLogger(string categoryName) => new Capturing(this, categoryName);

        public void Dispose() { }

        private sealed class Capturing(CapturingProvider provider, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => provider.scopes.Push(state);

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var pairs = new List<KeyValuePair<string, object?>>();
                provider.scopes.ForEachScope((scope, list) =>
                {
                    if (scope is IEnumerable<KeyValuePair<string, object?>> kv) list.AddRange(kv);
                }, pairs);
                provider.Lines.Enqueue(new Line(category, logLevel, formatter(state, exception), pairs));
            }
        }
    }

    private static async Task<(WebApplication App, CapturingProvider Log, Uri Root)> StartAsync()
    {
        string[] args = ["--api:listen", "http://127.0.0.1:0"];
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults(new ServiceDescription("test", 1, ApiFlavor.Nova), args);
        var log = new CapturingProvider();
        builder.Logging.AddProvider(log);
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapPost("/v2.1/servers", (ILogger<RequestLogTests> logger) =>
        {
            logger.LogInformation("creating a server");
            return Results.Json(new { server = new { id = "s1" } }, statusCode: 202);
        });
        app.MapGet("/v2.1/servers/{id}", (string id) => Results.NotFound());
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return (app, log, new Uri(address));
    }

    [Fact]
    public async Task A_request_gets_one_request_line_and_every_line_names_its_request_and_trace()
    {
        var (app, log, root) = await StartAsync();
        try
        {
            // A caller outside this process: the service's own HttpClient tracing, which shares
            // this process, must not put a trace header of its own beside the one sent here.
            using var http = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { BaseAddress = root };
            // The trace a caller started: the service's lines continue it.
            const string traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v2.1/servers?x=1") { Content = new StringContent("{}") };
            request.Headers.Add("traceparent", $"00-{traceId}-00f067aa0ba902b7-01");
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            var requestId = response.Headers.GetValues("x-openstack-request-id").Single();
            Assert.StartsWith("req-", requestId);

            (await http.GetAsync("/healthz")).EnsureSuccessStatusCode();
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/v2.1/servers/nope")).StatusCode);
            await app.StopAsync();

            var lines = log.Lines.ToList();
            var handler = Assert.Single(lines, l => l.Message == "creating a server");
            var requestLines = lines.Where(l => l.Category == typeof(RequestLogMiddleware).FullName).ToList();
            var served = Assert.Single(requestLines, l => l.Message.Contains("\"POST /v2.1/servers?x=1\"", StringComparison.Ordinal));
            Assert.Contains("status: 202", served.Message, StringComparison.Ordinal);
            Assert.Matches(@"time: \d+\.\d{3}$", served.Message);
            Assert.Contains(requestLines, l => l.Message.Contains("\"GET /v2.1/servers/nope\" status: 404", StringComparison.Ordinal));
            // Probes come every few seconds and are not requests anyone follows.
            Assert.DoesNotContain(requestLines, l => l.Message.Contains("/healthz", StringComparison.Ordinal));

            foreach (var line in new[] { handler, served })
            {
                Assert.Equal(LogLevel.Information, line.Level);
                Assert.True(line.HasScope("RequestId", v => v as string == requestId), $"{line.Message}: no request id {requestId}");
                Assert.Equal(traceId, line.Scope("TraceId")?.ToString());
                Assert.Equal("00f067aa0ba902b7", line.Scope("ParentId")?.ToString());
                Assert.NotNull(line.Scope("SpanId"));
            }
        }
        finally
        {
            await app.DisposeAsync();
        }
    }
}
