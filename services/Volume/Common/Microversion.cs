using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Platform.Hosting;

namespace Volume.Common;

/// <summary>A volume API microversion, 3.N.</summary>
public readonly partial record struct ApiVersion(int Major, int Minor) : IComparable<ApiVersion>
{
    public static readonly ApiVersion Min = new(3, 0);

    /// <summary>
    /// The newest microversion this API speaks: the <c>version</c> of version discovery and what
    /// <c>latest</c> means. Raise it as the API grows; nothing else names the number.
    /// </summary>
    public static readonly ApiVersion Max = new(3, 60);

    /// <summary>The <c>updated</c> of version discovery: when cinder's API reached <see cref="Max"/>.</summary>
    public const string Updated = "2018-07-17T00:00:00Z";

    public int CompareTo(ApiVersion other) => Major != other.Major ? Major.CompareTo(other.Major) : Minor.CompareTo(other.Minor);

    public static bool operator >=(ApiVersion a, ApiVersion b) => a.CompareTo(b) >= 0;
    public static bool operator <=(ApiVersion a, ApiVersion b) => a.CompareTo(b) <= 0;
    public static bool operator >(ApiVersion a, ApiVersion b) => a.CompareTo(b) > 0;
    public static bool operator <(ApiVersion a, ApiVersion b) => a.CompareTo(b) < 0;

    /// <summary>True from 3.<paramref name="minor"/> on.</summary>
    public bool AtLeast(int minor) => this >= new ApiVersion(3, minor);

    public override string ToString() => $"{Major}.{Minor}";

    [GeneratedRegex(@"^([1-9]\d*)\.([1-9]\d*|0)$")]
    private static partial Regex Pattern();

    public static ApiVersion? TryParse(string text)
    {
        var m = Pattern().Match(text);
        if (!m.Success
            || !int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var major)
            || !int.TryParse(m.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var minor))
            return null;
        return new ApiVersion(major, minor);
    }
}

/// <summary>
/// Reads the requested microversion as cinder does: <c>OpenStack-API-Version: volume 3.N</c>
/// (cinder has no legacy header), 3.0 when absent, <c>latest</c> the maximum. A malformed
/// version is a 400, one out of range a 406. Every answer of the API (errors too) says the
/// version it was made for, with <c>Vary</c> on the header.
/// </summary>
public sealed class MicroversionMiddleware(RequestDelegate next)
{
    public const string Header = "OpenStack-API-Version";
    public const string Service = "volume";
    private const string ItemKey = "volume.microversion";

    public async Task InvokeAsync(HttpContext http)
    {
        // Only the API's own routes: an unknown path is answered by the router, and the probes
        // (/healthz, /readyz, /metrics) are not the API.
        if (http.GetEndpoint() is null || !IsApi(http.Request.Path))
        {
            await next(http);
            return;
        }
        var (version, error) = Requested(http.Request.Headers);
        if (version is { } v)
        {
            http.Items[ItemKey] = v;
            http.Response.OnStarting(() =>
            {
                http.Response.Headers[Header] = $"{Service} {v}";
                http.Response.Headers.Vary = Header;
                return Task.CompletedTask;
            });
        }
        if (error is not null) throw error;
        await next(http);
    }

    private static bool IsApi(PathString path) => path == "/" || path.StartsWithSegments("/v3");

    /// <summary>
    /// The version asked for and, when it cannot be served, why. A version out of range is still
    /// echoed in the 406, as cinder echoes it; a malformed one is not.
    /// </summary>
    private static (ApiVersion? Version, ApiException? Error) Requested(IHeaderDictionary headers)
    {
        if (!headers.TryGetValue(Header, out var values)) return (ApiVersion.Min, null);
        string? text = null;
        foreach (var entry in string.Join(',', values.ToArray()).Split(','))
        {
            if (!entry.Contains(Service, StringComparison.Ordinal)) continue;
            var parts = entry.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            text = parts.Length == 2 ? parts[1] : entry.Trim();
            break;
        }
        // A header for other services only: cinder finds no version for the method.
        if (text is null)
            return (null, ApiException.BadRequest("The server could not comply with the request since it is either malformed or otherwise incorrect."));
        if (text == "latest") return (ApiVersion.Max, null);
        if (ApiVersion.TryParse(text) is not { } version)
            return (null, ApiException.BadRequest($"API Version String {text} is of invalid format. Must be of format MajorNum.MinorNum."));
        if (version < ApiVersion.Min || version > ApiVersion.Max)
            return (version, new ApiException(HttpStatusCode.NotAcceptable,
                $"Version {version} is not supported by the API. Minimum is {ApiVersion.Min} and maximum is {ApiVersion.Max}."));
        return (version, null);
    }

    /// <summary>The microversion of this request (3.0 outside the API).</summary>
    public static ApiVersion Of(HttpContext http) => http.Items.TryGetValue(ItemKey, out var v) && v is ApiVersion version ? version : ApiVersion.Min;
}

public static class MicroversionExtensions
{
    /// <summary>The microversion the client asked for (cinder's <c>req.api_version_request</c>).</summary>
    public static ApiVersion Microversion(this HttpContext http) => MicroversionMiddleware.Of(http);
}
