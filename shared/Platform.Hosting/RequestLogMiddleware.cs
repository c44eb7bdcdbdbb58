using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Platform.Hosting;

/// <summary>
/// One line per request served, REST or gRPC, as the OpenStack services' request logs have: who
/// asked for what, the answer's status, and how long it took. It runs inside the request
/// id's log scope, so the line carries the request id and, with the trace, the trace id. Health
/// probes and scrapes are left out: they come every few seconds and say nothing about a request.
/// </summary>
public sealed class RequestLogMiddleware(RequestDelegate next, ILogger<RequestLogMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext http)
    {
        if (ServiceDefaults.IsProbe(http.Request.Path) || !logger.IsEnabled(LogLevel.Information))
        {
            await next(http);
            return;
        }
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(http);
        }
        finally
        {
            Log(http, Stopwatch.GetElapsedTime(started));
        }
    }

    private void Log(HttpContext http, TimeSpan elapsed)
    {
        var request = http.Request;
        var response = http.Response;
        var remote = http.Connection.RemoteIpAddress?.ToString() ?? "-";
        var target = request.Path.Value + request.QueryString.Value;
        // A gRPC answer is HTTP 200 whatever happened; its own status is in the trailers, or in
        // the headers of a response that has no body.
        var grpc = http.Features.Get<IHttpResponseTrailersFeature>()?.Trailers["grpc-status"].ToString() is { Length: > 0 } trailer
            ? trailer
            : response.Headers["grpc-status"].ToString();
        if (grpc.Length > 0)
        {
            logger.LogInformation("{Remote} \"{Method} {Target}\" status: {Status} grpc-status: {GrpcStatus} time: {Seconds:0.000}",
                remote, request.Method, target, response.StatusCode, grpc, elapsed.TotalSeconds);
        }
        else
        {
            logger.LogInformation("{Remote} \"{Method} {Target}\" status: {Status} time: {Seconds:0.000}",
                remote, request.Method, target, response.StatusCode, elapsed.TotalSeconds);
        }
    }
}
