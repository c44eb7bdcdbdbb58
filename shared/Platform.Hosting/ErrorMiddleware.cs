using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Platform.Hosting;

/// <summary>
/// Turns <see cref="ApiException"/>, malformed request bodies and unhandled failures into the
/// project's error body, and gives bare routing answers (404, 405) the same shape.
/// </summary>
public sealed class ErrorMiddleware(RequestDelegate next, ServiceDescription service, ILogger<ErrorMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext http)
    {
        try
        {
            await next(http);
        }
        catch (ApiException e) when (!http.Response.HasStarted)
        {
            logger.LogInformation("{Method} {Path} answered {Status}: {Message}", http.Request.Method, http.Request.Path, (int)e.Status, e.Message);
            await ErrorBodies.WriteAsync(http, service.Flavor, e.Status, e.Message, e.Type);
            return;
        }
        catch (BadHttpRequestException e) when (!http.Response.HasStarted)
        {
            // Model binding failures (malformed JSON, wrong types) are the caller's fault.
            await ErrorBodies.WriteAsync(http, service.Flavor, (HttpStatusCode)e.StatusCode, e.Message);
            return;
        }
        catch (Exception e) when (!http.Response.HasStarted && e is not OperationCanceledException)
        {
            logger.LogError(e, "{Method} {Path} failed", http.Request.Method, http.Request.Path);
            await ErrorBodies.WriteAsync(http, service.Flavor, HttpStatusCode.InternalServerError,
                "An unexpected error prevented the server from fulfilling your request.");
            return;
        }

        // A bare status (routing's 404/405, a handler's empty NotFound) still gets the project's body.
        if (!http.Response.HasStarted && http.Response.StatusCode >= 400 && http.Response.ContentLength is null
            && http.Response.ContentType is null)
        {
            var status = (HttpStatusCode)http.Response.StatusCode;
            var message = status switch
            {
                HttpStatusCode.NotFound => "The resource could not be found.",
                HttpStatusCode.MethodNotAllowed => "The method is not allowed for the requested URL.",
                _ => "The request could not be completed.",
            };
            await ErrorBodies.WriteAsync(http, service.Flavor, status, message);
        }
    }
}
