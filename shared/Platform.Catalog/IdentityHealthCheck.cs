using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Platform.Catalog;

/// <summary>
/// Ready only while identity answers: any answer below 500 to <c>GET {auth_url}/v3</c> proves
/// it is reachable and serving. It does not authenticate, so a probe never mints a token.
/// </summary>
public sealed class IdentityHealthCheck(IHttpClientFactory httpClients, KeystoneAuthOptions options) : IHealthCheck
{
    public const string Name = "identity";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (options.IdentityRoot is not { } root)
            return new HealthCheckResult(context.Registration.FailureStatus, $"{KeystoneAuthOptions.AuthUrlKey} is not configured");
        var url = new Uri(root, "v3");
        try
        {
            using var response = await httpClients.CreateClient(ServiceCatalogClient.HttpClientName)
                .GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var status = (int)response.StatusCode;
            return status < 500
                ? HealthCheckResult.Healthy($"identity at {url} answered {status}")
                : new HealthCheckResult(context.Registration.FailureStatus, $"identity at {url} answered {status}");
        }
        catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"identity at {url} is unreachable: {e.Message}", e);
        }
    }
}
