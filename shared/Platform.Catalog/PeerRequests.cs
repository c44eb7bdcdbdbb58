using System.Net.Http.Headers;
using Platform.Context;

namespace Platform.Catalog;

/// <summary>
/// A REST call to a peer service, made on behalf of the caller of the current flow when its token
/// is at hand (the user's token as <c>X-Auth-Token</c>, this service's as <c>X-Service-Token</c>,
/// as keystonemiddleware's service tokens work), and as this service itself otherwise: work that
/// arrived over the bus carries the caller's identity but never the caller's token.
/// </summary>
public static class PeerRequests
{
    public static async Task<HttpRequestMessage> CreateAsync(IServiceCatalog catalog, string serviceType, HttpMethod method, string path, CancellationToken cancellationToken)
    {
        var root = await catalog.GetEndpointAsync(serviceType, ct: cancellationToken);
        var request = new HttpRequestMessage(method, new Uri(new Uri(root.ToString().TrimEnd('/') + "/"), path));
        var service = await catalog.GetTokenAsync(cancellationToken);
        var caller = RequestContextAccessor.Current;
        if (caller?.AuthToken is { } user)
        {
            request.Headers.Add("X-Auth-Token", user);
            request.Headers.Add("X-Service-Token", service);
        }
        else
        {
            request.Headers.Add("X-Auth-Token", service);
        }
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        // The peer keeps it as the global request id, so one id follows the work across services.
        if ((caller?.GlobalRequestId ?? caller?.RequestId) is { } id)
            request.Headers.Add("X-OpenStack-Request-ID", id);
        return request;
    }
}
