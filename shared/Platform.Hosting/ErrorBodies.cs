using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace Platform.Hosting;

/// <summary>Writes an error in the shape the real project's clients parse.</summary>
public static class ErrorBodies
{
    // nova's FaultWrapper names a fault after its status.
    private static readonly Dictionary<int, string> novaFaultNames = new()
    {
        [400] = "badRequest",
        [401] = "unauthorized",
        [403] = "forbidden",
        [404] = "itemNotFound",
        [405] = "badMethod",
        [406] = "notAcceptable",
        [409] = "conflictingRequest",
        [413] = "overLimit",
        [415] = "badMediaType",
        [429] = "overLimit",
        [501] = "notImplemented",
        [503] = "serviceUnavailable",
    };

    // cinder's Fault names a fault after its status too, but knows fewer: any other (406 for a
    // microversion out of range among them) is a computeFault.
    private static readonly Dictionary<int, string> cinderFaultNames = new()
    {
        [400] = "badRequest",
        [401] = "unauthorized",
        [403] = "forbidden",
        [404] = "itemNotFound",
        [405] = "badMethod",
        [409] = "conflictingRequest",
        [413] = "overLimit",
        [415] = "badMediaType",
        [501] = "notImplemented",
        [503] = "serviceUnavailable",
    };

    public static Task WriteAsync(HttpContext http, ApiFlavor flavor, HttpStatusCode status, string message, string? type = null)
    {
        var code = (int)status;
        var reason = ReasonPhrases.GetReasonPhrase(code);
        http.Response.StatusCode = code;
        switch (flavor)
        {
            case ApiFlavor.Keystone:
                return WriteJson(http, new { error = new { code, title = reason, message } });
            case ApiFlavor.Nova:
                var name = novaFaultNames.GetValueOrDefault(code, code >= 500 ? "computeFault" : "badRequest");
                return WriteJson(http, new Dictionary<string, object> { [name] = new { code, message } });
            case ApiFlavor.Cinder:
                return WriteJson(http, new Dictionary<string, object> { [cinderFaultNames.GetValueOrDefault(code, "computeFault")] = new { code, message } });
            case ApiFlavor.Neutron:
                return WriteJson(http, new { NeutronError = new { type = type ?? NeutronType(code), message, detail = "" } });
            case ApiFlavor.Glance:
                // glance answers with webob's plain error page, the status line first.
                http.Response.ContentType = "text/plain; charset=UTF-8";
                return http.Response.WriteAsync($"{code} {reason}\n\n{message}\n\n   ");
            case ApiFlavor.Placement:
                var requestId = Platform.Context.RequestContextAccessor.Current?.RequestId;
                return WriteJson(http, new { errors = new[] { new { status = code, title = reason, detail = message, code = type ?? "placement.undefined_code", request_id = requestId } } });
            default:
                return WriteJson(http, new { error = new { code, title = reason, message } });
        }
    }

    private static string NeutronType(int code) => code switch
    {
        400 => "HTTPBadRequest",
        401 => "HTTPUnauthorized",
        403 => "HTTPForbidden",
        404 => "HTTPNotFound",
        405 => "HTTPMethodNotAllowed",
        409 => "HTTPConflict",
        _ => "HTTPInternalServerError",
    };

    private static Task WriteJson(HttpContext http, object body)
    {
        http.Response.ContentType = "application/json";
        return http.Response.WriteAsync(JsonSerializer.Serialize(body));
    }
}
