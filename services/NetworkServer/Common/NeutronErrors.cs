using System.Net;
using Platform.Hosting;

namespace NetworkServer.Common;

/// <summary>neutron's exceptions, with its type names, statuses and messages.</summary>
public static class NeutronErrors
{
    public static ApiException InvalidInput(string message) => new(HttpStatusCode.BadRequest, $"Invalid input for operation: {message}.", "InvalidInput");

    /// <summary>An attribute that fails its validator (neutron's API layer answers HTTPBadRequest).</summary>
    public static ApiException BadAttribute(string attribute, string reason) =>
        new(HttpStatusCode.BadRequest, $"Invalid input for {attribute}. Reason: {reason}.", "HTTPBadRequest");

    public static ApiException NotFound(string kind, string id) =>
        new(HttpStatusCode.NotFound, $"{Title(kind)} {id} could not be found.", $"{Pascal(kind)}NotFound");

    public static ApiException Conflict(string type, string message) => new(HttpStatusCode.Conflict, message, type);

    public static ApiException BadRequest(string type, string message) => new(HttpStatusCode.BadRequest, message, type);

    public static ApiException OverQuota(string resource) =>
        new(HttpStatusCode.Conflict, $"Quota exceeded for resources: ['{resource}'].", "OverQuota");

    /// <summary>A 404 with a type of its own (RouterInterfaceNotFound, ExternalGatewayForFloatingIPNotFound).</summary>
    public static ApiException NotFoundAs(string type, string message) => new(HttpStatusCode.NotFound, message, type);

    public static ApiException Forbidden(string action) =>
        new(HttpStatusCode.Forbidden, $"({action}) is disallowed by policy", "PolicyNotAuthorized");

    // "security_group" -> "Security group", "SecurityGroup".
    private static string Title(string kind) => char.ToUpperInvariant(kind[0]) + kind[1..].Replace('_', ' ');

    private static string Pascal(string kind) =>
        string.Concat(kind.Split('_').Select(p => char.ToUpperInvariant(p[0]) + p[1..]));
}
