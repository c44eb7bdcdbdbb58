using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Platform.Context;

namespace Platform.Hosting;

/// <summary>
/// Gives every request its <c>req-&lt;uuid&gt;</c>, answers it in <c>x-openstack-request-id</c>
/// (and <c>x-compute-request-id</c> for compute), keeps a caller's
/// <c>X-OpenStack-Request-ID</c> as the global request id, and puts both in the log scope.
/// </summary>
public sealed partial class RequestIdMiddleware(RequestDelegate next, ServiceDescription service, ILogger<RequestIdMiddleware> logger)
{
    [GeneratedRegex("^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    private static partial Regex RequestIdPattern();

    public async Task InvokeAsync(HttpContext http)
    {
        var incoming = http.Request.Headers[ContextHeaders.GlobalRequestId].ToString();
        var context = new RequestContext
        {
            // Like oslo.middleware, only a well-formed id from another service is trusted.
            GlobalRequestId = RequestIdPattern().IsMatch(incoming) ? incoming : null,
        };
        RequestContextAccessor.Current = context;
        http.Response.OnStarting(() =>
        {
            var id = RequestContextAccessor.Current?.RequestId ?? context.RequestId;
            http.Response.Headers[ContextHeaders.RequestId] = id;
            if (service.Flavor == ApiFlavor.Nova)
                http.Response.Headers[ContextHeaders.ComputeRequestId] = id;
            return Task.CompletedTask;
        });
        using (logger.BeginScope(new Dictionary<string, object?>
        {
            ["RequestId"] = context.RequestId,
            ["GlobalRequestId"] = context.GlobalRequestId,
        }))
        {
            await next(http);
        }
    }
}
