using System.Net;

namespace Platform.Catalog;

/// <summary>
/// The service user could not get a token: identity refused the credentials, answered
/// something unusable, or could not be reached (then <see cref="StatusCode"/> is null).
/// </summary>
public sealed class IdentityAuthenticationException(string message, HttpStatusCode? statusCode = null, Exception? innerException = null)
    : Exception(message, innerException)
{
    public HttpStatusCode? StatusCode { get; } = statusCode;
}
