using System.Diagnostics;
using System.Net.Http.Json;
using System.Threading.Channels;
using Platform.Catalog;

namespace NetworkServer.Notifiers;

/// <summary>One of compute's external events about a server's port.</summary>
public sealed record ServerEvent(string Name, string ServerUuid, string Tag, string Status = "completed");

/// <summary>
/// Tells compute about its servers' ports, as neutron's nova notifier does: a port owned by a
/// server that goes ACTIVE is <c>network-vif-plugged</c>, one that goes down from ACTIVE is
/// <c>network-vif-unplugged</c>. Events are gathered for <c>send_events_interval</c> (default
/// 0.2 s) and posted together to compute's <c>os-server-external-events</c>, found in the
/// catalog, with this service's own token. A failed post is tried again a few times, then logged.
/// The post belongs to the trace of the work that caused its events when they share one, and is
/// linked to each of their traces otherwise.
/// </summary>
public sealed class ComputeNotifier(IServiceCatalog catalog, IHttpClientFactory clients, IConfiguration configuration, ILogger<ComputeNotifier> logger)
    : BackgroundService
{
    private const int MaxBatch = 100;
    private const int Attempts = 3;
    private static readonly ActivitySource Source = new("Platform.NetworkServer");
    private readonly Channel<(ServerEvent Event, ActivityContext Trace)> events = Channel.CreateUnbounded<(ServerEvent, ActivityContext)>();
    private readonly TimeSpan interval = TimeSpan.FromSeconds(double.TryParse(configuration["send_events_interval"], System.Globalization.CultureInfo.InvariantCulture, out var s) ? s : 0.2);

    public static bool IsServerPort(string deviceOwner, string deviceId) =>
        deviceOwner.StartsWith("compute:", StringComparison.Ordinal) && Guid.TryParse(deviceId, out _);

    public void Notify(ServerEvent e) => events.Writer.TryWrite((e, Activity.Current?.Context ?? default));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<(ServerEvent Event, ActivityContext Trace)>();
        while (await events.Reader.WaitToReadAsync(stoppingToken))
        {
            await Task.Delay(interval, stoppingToken);
            while (batch.Count < MaxBatch && events.Reader.TryRead(out var e)) batch.Add(e);
            await SendAsync(batch, stoppingToken);
            batch.Clear();
        }
    }

    private async Task SendAsync(IReadOnlyList<(ServerEvent Event, ActivityContext Trace)> traced, CancellationToken ct)
    {
        var batch = traced.Select(t => t.Event).ToList();
        var traces = traced.Select(t => t.Trace).Where(t => t != default).Distinct().ToList();
        var parent = traces.Count > 0 && traces.All(t => t.TraceId == traces[0].TraceId) ? traces[0] : default;
        using var activity = Source.StartActivity("send server events", ActivityKind.Internal, parent,
            links: parent == default ? traces.Select(t => new ActivityLink(t)) : null);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // No caller here: the events go with the network service's own token.
                using var request = await PeerRequests.CreateAsync(catalog, "compute", HttpMethod.Post, "os-server-external-events", ct);
                request.Content = JsonContent.Create(new
                {
                    events = batch.Select(e => new { name = e.Name, server_uuid = e.ServerUuid, tag = e.Tag, status = e.Status }),
                });
                using var response = await clients.CreateClient(nameof(ComputeNotifier)).SendAsync(request, ct);
                // 207 (some servers unknown) is a success; 404 (none known: deleted meanwhile) leaves nothing to retry.
                if (response.IsSuccessStatusCode || (int)response.StatusCode == 404) return;
                throw new HttpRequestException($"compute answered {(int)response.StatusCode}");
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                if (attempt >= Attempts)
                {
                    logger.LogWarning(e, "Could not send {Count} server events to compute: {Events}", batch.Count,
                        string.Join(", ", batch.Select(b => $"{b.Name} {b.ServerUuid} {b.Tag}")));
                    return;
                }
                await Task.Delay(TimeSpan.FromMilliseconds(500 * attempt), ct);
            }
        }
    }
}
