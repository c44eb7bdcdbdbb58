using System.Net;
using Platform.Hosting;

namespace Identity.Common;

/// <summary>Keystone's own error messages, so clients and operators read what they know.</summary>
public static class KeystoneErrors
{
    public static ApiException NotFound(string kind, string id) =>
        ApiException.NotFound($"Could not find {kind}: {id}.");

    public static ApiException Conflict(string kind, string detail) =>
        ApiException.Conflict($"Conflict occurred attempting to store {kind} - {detail}.");

    public static ApiException Validation(string message) =>
        ApiException.BadRequest($"{message} The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.");

    public static ApiException Missing(string attribute, string target) =>
        Validation($"Expecting to find {attribute} in {target}.");

    public static ApiException Forbidden(string action) =>
        ApiException.Forbidden($"You are not authorized to perform the requested action: {action}.");

    public static ApiException Unauthorized(string? detail = null) =>
        new(HttpStatusCode.Unauthorized, detail ?? "The request you have made requires authentication.");
}
