using System.Net;

namespace Platform.Hosting;

/// <summary>
/// An error the API answers with a 4xx/5xx in the project's own error shape. Throw it from any
/// layer; the error middleware writes it and nothing else is sent.
/// </summary>
public class ApiException(HttpStatusCode status, string message, string? type = null) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;

    /// <summary>The project's own error type where it has one (neutron's <c>NetworkNotFound</c>).</summary>
    public string? Type { get; } = type;

    public static ApiException BadRequest(string message, string? type = null) => new(HttpStatusCode.BadRequest, message, type);
    public static ApiException Unauthorized(string message = "The request you have made requires authentication.") => new(HttpStatusCode.Unauthorized, message);
    public static ApiException Forbidden(string message, string? type = null) => new(HttpStatusCode.Forbidden, message, type);
    public static ApiException NotFound(string message, string? type = null) => new(HttpStatusCode.NotFound, message, type);
    public static ApiException Conflict(string message, string? type = null) => new(HttpStatusCode.Conflict, message, type);
}
