using System.Net;
using Platform.Hosting;

namespace Volume.Common;

/// <summary>
/// cinder's API errors with its statuses and messages. The error middleware writes them in
/// cinder's shape (<c>{"badRequest": {"code": 400, "message": ...}}</c>), named after the status.
/// </summary>
public static class CinderErrors
{
    public static ApiException BadRequest(string message) => new(HttpStatusCode.BadRequest, message);

    /// <summary>cinder's InvalidInput: "Invalid input received: ...".</summary>
    public static ApiException InvalidInput(string reason) => BadRequest($"Invalid input received: {reason}");

    /// <summary>A body that fails cinder's JSON schema on a member: "Invalid input for field/attribute x. Value: y. reason".</summary>
    public static ApiException InvalidField(string field, string value, string reason) =>
        BadRequest($"Invalid input for field/attribute {field}. Value: {value}. {reason}");

    public static ApiException NotFound(string message) => new(HttpStatusCode.NotFound, message);

    public static ApiException PolicyNotAuthorized(string rule) => new(HttpStatusCode.Forbidden, $"Policy doesn't allow {rule} to be performed.");

    /// <summary>A project id in the URL that is not the caller's.</summary>
    public static ApiException MalformedUrl() => BadRequest("Malformed request url");

    public static ApiException MalformedBody() => BadRequest("Malformed request body");

    /// <summary>cinder's InvalidVolume: "Invalid volume: ...", a 400.</summary>
    public static ApiException InvalidVolume(string reason) => BadRequest($"Invalid volume: {reason}");

    /// <summary>cinder's InvalidSnapshot: "Invalid snapshot: ...", a 400.</summary>
    public static ApiException InvalidSnapshot(string reason) => BadRequest($"Invalid snapshot: {reason}");
}
