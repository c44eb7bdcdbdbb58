using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Platform.Catalog;

/// <summary>
/// Authenticates the service user against keystone v3 with the password method, keeps the
/// token until shortly before it expires, and answers endpoint lookups from its catalog.
/// </summary>
public sealed class ServiceCatalogClient(
    IHttpClientFactory httpClients,
    KeystoneAuthOptions options,
    TimeProvider time,
    ILogger<ServiceCatalogClient> logger) : IServiceCatalog
{
    public const string HttpClientName = "keystone";

    /// <summary>
    /// A token this close to expiry is replaced, so one handed out still has time to reach
    /// another service and be validated there.
    /// </summary>
    public static readonly TimeSpan RenewBefore = TimeSpan.FromMinutes(1);

    private const int ErrorBodyLength = 500;

    private readonly Lock gate = new();
    private ServiceToken? current;
    private Task<ServiceToken>? pending;

    public async Task<Uri> GetEndpointAsync(string serviceType, string? @interface = null, string? region = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceType);
        var token = await CurrentTokenAsync(ct);
        var wantedInterface = @interface ?? options.Interface;
        var wantedRegion = region ?? options.RegionName;
        return CatalogLookup.Find(token.Catalog, serviceType, wantedInterface, wantedRegion)
            ?? throw new EndpointNotFoundException(serviceType, wantedInterface, wantedRegion);
    }

    public async Task<string> GetTokenAsync(CancellationToken ct = default) => (await CurrentTokenAsync(ct)).Value;

    public void InvalidateToken(string token)
    {
        lock (gate)
        {
            if (current?.Value == token) current = null;
        }
    }

    private Task<ServiceToken> CurrentTokenAsync(CancellationToken ct)
    {
        Task<ServiceToken> task;
        lock (gate)
        {
            if (current is { } token && time.GetUtcNow() < token.ExpiresAt - RenewBefore)
                return Task.FromResult(token);
            // Single flight: every caller waits on the one authentication under way. It runs
            // under no caller's token, so one caller giving up does not fail the others.
            task = pending ??= AuthenticateOnceAsync();
        }
        return task.WaitAsync(ct);
    }

    private async Task<ServiceToken> AuthenticateOnceAsync()
    {
        // Returns to CurrentTokenAsync before the finally below, which must clear `pending`
        // only after it has been set.
        await Task.Yield();
        try
        {
            var token = await AuthenticateAsync();
            lock (gate) current = token;
            return token;
        }
        finally
        {
            lock (gate) pending = null;
        }
    }

    private async Task<ServiceToken> AuthenticateAsync()
    {
        var root = options.IdentityRoot
            ?? throw new InvalidOperationException($"{KeystoneAuthOptions.AuthUrlKey} is not configured");
        if (options.Username is null || options.Password is null)
            throw new InvalidOperationException($"{KeystoneAuthOptions.Section}:username and password must be configured");
        var url = new Uri(root, "v3/auth/tokens");
        var who = $"user '{options.Username}' (domain '{options.UserDomainName}') in project '{options.ProjectName}' (domain '{options.ProjectDomainName}')";

        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(RequestBody()) };
        HttpResponseMessage response;
        try
        {
            response = await httpClients.CreateClient(HttpClientName).SendAsync(request);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            logger.LogWarning("Could not reach identity at {Url} to authenticate {Who}: {Error}", url, who, e.Message);
            throw new IdentityAuthenticationException($"could not reach the identity service at {url} to authenticate {who}: {e.Message}", null, e);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                var reason = await ErrorMessageAsync(response);
                logger.LogWarning("Identity at {Url} refused {Who}: {Status} {Reason}", url, who, (int)response.StatusCode, reason);
                throw new IdentityAuthenticationException(
                    $"the identity service at {url} refused to authenticate {who}: {(int)response.StatusCode} {response.ReasonPhrase}: {reason}",
                    response.StatusCode);
            }
            var value = response.Headers.TryGetValues("X-Subject-Token", out var values) ? values.FirstOrDefault() : null;
            if (string.IsNullOrEmpty(value))
                throw new IdentityAuthenticationException($"the identity service at {url} answered without an X-Subject-Token header", response.StatusCode);

            var body = await ReadTokenAsync(response, url);
            var token = new ServiceToken(value, body.ExpiresAt, body.Catalog);
            logger.LogInformation("Authenticated {Who} at {Url}; token expires at {ExpiresAt:O}, catalog has {Services} services",
                who, url, token.ExpiresAt, token.Catalog.Count);
            return token;
        }
    }

    private object RequestBody() => new
    {
        auth = new
        {
            identity = new
            {
                methods = new[] { "password" },
                password = new
                {
                    user = new { name = options.Username, domain = new { name = options.UserDomainName }, password = options.Password },
                },
            },
            scope = new { project = new { name = options.ProjectName, domain = new { name = options.ProjectDomainName } } },
        },
    };

    private static async Task<(DateTimeOffset ExpiresAt, IReadOnlyList<CatalogService> Catalog)> ReadTokenAsync(HttpResponseMessage response, Uri url)
    {
        try
        {
            var body = await response.Content.ReadFromJsonAsync<TokenResponse>();
            var expiresAt = body?.Token?.ExpiresAt
                ?? throw new IdentityAuthenticationException($"the identity service at {url} answered a token without expires_at", response.StatusCode);
            return (DateTimeOffset.Parse(expiresAt, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal),
                body.Token.Catalog ?? []);
        }
        catch (Exception e) when (e is JsonException or FormatException or HttpRequestException)
        {
            throw new IdentityAuthenticationException($"the identity service at {url} answered a token body that could not be read: {e.Message}", response.StatusCode, e);
        }
    }

    // keystone says why in {"error": {"message": ...}}; anything else is shown cut short.
    private static async Task<string> ErrorMessageAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.TryGetProperty("error", out var error)
                && error.TryGetProperty("message", out var message)
                && message.ValueKind == JsonValueKind.String)
                return message.GetString()!;
        }
        catch (JsonException)
        {
        }
        return text.Length > ErrorBodyLength ? text[..ErrorBodyLength] + "..." : text;
    }
}
