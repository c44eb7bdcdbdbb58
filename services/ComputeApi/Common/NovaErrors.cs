using System.Net;
using Platform.Hosting;

namespace ComputeApi.Common;

/// <summary>
/// nova's API errors with its statuses and messages. The error middleware writes them in nova's
/// shape (<c>{"itemNotFound": {"code": 404, "message": ...}}</c>), named after the status.
/// </summary>
public static class NovaErrors
{
    public static ApiException BadRequest(string message) => new(HttpStatusCode.BadRequest, message);

    /// <summary>A body that fails nova's JSON schema: "Invalid input for field/attribute x. Value: y. reason".</summary>
    public static ApiException InvalidInput(string field, object? value, string reason) =>
        new(HttpStatusCode.BadRequest, $"Invalid input for field/attribute {field}. Value: {value}. {reason}");

    public static ApiException NotFound(string message) => new(HttpStatusCode.NotFound, message);

    public static ApiException InstanceNotFound(string id) => NotFound($"Instance {id} could not be found.");

    public static ApiException FlavorNotFound(string id) => NotFound($"Flavor {id} could not be found.");

    public static ApiException Conflict(string message) => new(HttpStatusCode.Conflict, message);

    /// <summary>nova's quota refusal: 403 with the resource, requested, used and allowed.</summary>
    public static ApiException QuotaExceeded(string message) => new(HttpStatusCode.Forbidden, message);

    public static ApiException Forbidden(string message) => new(HttpStatusCode.Forbidden, message);

    public static ApiException PolicyNotAuthorized(string rule) => new(HttpStatusCode.Forbidden, $"Policy doesn't allow {rule} to be performed.");
}
