using System.Net.Http.Json;
using System.Text.Json.Serialization;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.Auth;
using Platform.Catalog;

namespace Platform.Stack;

/// <summary>Identity's fanout of a revocation: this process refuses the tokens from now on.</summary>
public sealed class TokenRevokedConsumer(InMemoryTokenRevocationList revocations) : IConsumer<RevocationEvent>
{
    public Task Consume(ConsumeContext<RevocationEvent> context)
    {
        revocations.Add(context.Message);
        return Task.CompletedTask;
    }
}

/// <summary>
/// At start, the revocations made before this process subscribed: <c>GET /v3/OS-REVOKE/events</c>
/// with the service user's token, retried until identity answers.
/// </summary>
public sealed class RevocationEventsLoader(
    IServiceCatalog catalog, IHttpClientFactory http, IConfiguration configuration, InMemoryTokenRevocationList revocations, ILogger<RevocationEventsLoader> logger)
    : BackgroundService
{
    private sealed record Event(
        [property: JsonPropertyName("issued_before")] DateTimeOffset IssuedBefore,
        [property: JsonPropertyName("audit_id")] string? AuditId,
        [property: JsonPropertyName("audit_chain_id")] string? AuditChainId,
        [property: JsonPropertyName("user_id")] string? UserId,
        [property: JsonPropertyName("project_id")] string? ProjectId,
        [property: JsonPropertyName("domain_id")] string? DomainId,
        [property: JsonPropertyName("role_id")] string? RoleId);

    private sealed record Events([property: JsonPropertyName("events")] List<Event> Items);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var root = KeystoneAuthOptions.FromConfiguration(configuration).IdentityRoot;
        if (root is null) return;
        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                using var client = http.CreateClient("keystone");
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(root, "v3/OS-REVOKE/events"));
                request.Headers.Add("X-Auth-Token", await catalog.GetTokenAsync(stoppingToken));
                using var response = await client.SendAsync(request, stoppingToken);
                response.EnsureSuccessStatusCode();
                var events = await response.Content.ReadFromJsonAsync<Events>(stoppingToken);
                foreach (var e in events?.Items ?? [])
                    revocations.Add(new RevocationEvent
                    {
                        IssuedBefore = e.IssuedBefore, AuditId = e.AuditId, AuditChainId = e.AuditChainId,
                        UserId = e.UserId, ProjectId = e.ProjectId, DomainId = e.DomainId, RoleId = e.RoleId,
                    });
                logger.LogInformation("loaded {Count} token revocation events from identity", events?.Items.Count ?? 0);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("revocation events not loaded yet ({Error}); retrying in {Delay}", e.Message, delay);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromSeconds(Math.Min(30, delay.TotalSeconds * 2));
            }
        }
    }
}
