using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace Platform.Auth;

/// <summary>
/// The identity service's public keys, fetched from its JWKS endpoint and cached. The set is
/// fetched again when a token names a key we do not have (rate limited, so a flood of forged
/// tokens cannot hammer identity) and every so often in the background, so rotations are seen.
/// Keys stay usable for as long as the published set still holds them.
/// </summary>
public sealed class JwksKeyProvider : ISigningKeyProvider, IDisposable
{
    public const string HttpClientName = "Platform.Auth.Jwks";

    private readonly IHttpClientFactory httpClients;
    private readonly AuthTokenSettings settings;
    private readonly TimeProvider time;
    private readonly ILogger<JwksKeyProvider> logger;
    private readonly Uri url;
    private readonly SemaphoreSlim fetchLock = new(1, 1);
    private KeySet current = KeySet.Empty;
    private int refreshing;

    public JwksKeyProvider(IHttpClientFactory httpClients, AuthTokenSettings settings, TimeProvider time, ILogger<JwksKeyProvider> logger)
    {
        this.httpClients = httpClients;
        this.settings = settings;
        this.time = time;
        this.logger = logger;
        url = settings.JwksUrl ?? throw new InvalidOperationException(
            $"{AuthTokenSettings.Section}:auth_url or {AuthTokenSettings.Section}:jwks_url must be set to validate tokens");
    }

    // Swapped whole, so readers never see a half-updated set.
    private sealed record KeySet(IReadOnlyDictionary<string, SecurityKey> Keys, DateTimeOffset? LastAttempt, bool LastFailed, long Generation)
    {
        public static readonly KeySet Empty = new(new Dictionary<string, SecurityKey>(), null, false, 0);
    }

    public async ValueTask<SecurityKey?> FindKeyAsync(string keyId, CancellationToken cancellationToken = default)
    {
        var set = Volatile.Read(ref current);
        if (set.LastAttempt is null)
            set = await FetchAsync(set.Generation, cancellationToken);
        else if (time.GetUtcNow() - set.LastAttempt >= settings.JwksRefreshInterval)
            RefreshInBackground(set.Generation);

        if (set.Keys.TryGetValue(keyId, out var key)) return key;

        if (time.GetUtcNow() - set.LastAttempt >= settings.JwksRefetchInterval)
        {
            logger.LogInformation("token signed with unknown key {KeyId}; fetching the key set again", keyId);
            set = await FetchAsync(set.Generation, cancellationToken);
            if (set.Keys.TryGetValue(keyId, out key)) return key;
        }

        if (set.LastFailed)
            throw new SigningKeysUnavailableException($"the identity service's keys could not be fetched from {url}");
        return null;
    }

    private void RefreshInBackground(long seenGeneration)
    {
        if (Interlocked.CompareExchange(ref refreshing, 1, 0) != 0) return;
        _ = Task.Run(async () =>
        {
            try { await FetchAsync(seenGeneration, CancellationToken.None); }
            catch (Exception e) { logger.LogWarning(e, "background refresh of the key set failed"); }
            finally { Volatile.Write(ref refreshing, 0); }
        });
    }

    private async Task<KeySet> FetchAsync(long seenGeneration, CancellationToken cancellationToken)
    {
        await fetchLock.WaitAsync(cancellationToken);
        try
        {
            var set = Volatile.Read(ref current);
            // Another caller fetched while we waited: its result is as fresh as ours would be.
            if (set.Generation != seenGeneration) return set;

            KeySet next;
            try
            {
                using var client = httpClients.CreateClient(HttpClientName);
                client.Timeout = settings.HttpTimeout;
                var json = await client.GetStringAsync(url, cancellationToken);
                var keys = Jwks.Parse(json);
                next = new KeySet(keys, time.GetUtcNow(), false, set.Generation + 1);
                logger.LogDebug("fetched {Count} signing keys from {Url}", keys.Count, url);
            }
            catch (Exception e) when (e is HttpRequestException or JsonException or FormatException
                                          || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                // Keep the keys we had: tokens signed with them stay valid while identity is away.
                logger.LogWarning("fetching signing keys from {Url} failed: {Error}", url, e.Message);
                next = set with { LastAttempt = time.GetUtcNow(), LastFailed = true, Generation = set.Generation + 1 };
            }
            Volatile.Write(ref current, next);
            return next;
        }
        finally
        {
            fetchLock.Release();
        }
    }

    public void Dispose() => fetchLock.Dispose();
}
