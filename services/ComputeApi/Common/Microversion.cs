using System.Globalization;
using System.Text.RegularExpressions;
using Platform.Hosting;

namespace ComputeApi.Common;

/// <summary>A compute API microversion, 2.N.</summary>
public readonly partial record struct ApiVersion(int Major, int Minor) : IComparable<ApiVersion>
{
    public static readonly ApiVersion Min = new(2, 1);

    /// <summary>The newest microversion this API speaks (the <c>version</c> of <c>GET /v2.1</c>).</summary>
    public static readonly ApiVersion Max = new(2, 79);

    public int CompareTo(ApiVersion other) => Major != other.Major ? Major.CompareTo(other.Major) : Minor.CompareTo(other.Minor);

    public static bool operator >=(ApiVersion a, ApiVersion b) => a.CompareTo(b) >= 0;
    public static bool operator <=(ApiVersion a, ApiVersion b) => a.CompareTo(b) <= 0;
    public static bool operator >(ApiVersion a, ApiVersion b) => a.CompareTo(b) > 0;
    public static bool operator <(ApiVersion a, ApiVersion b) => a.CompareTo(b) < 0;

    /// <summary>True from 2.<paramref name="minor"/> on.</summary>
    public bool AtLeast(int minor) => this >= new ApiVersion(2, minor);

    public override string ToString() => $"{Major}.{Minor}";

    [GeneratedRegex(@"^([1-9]\d*)\.([1-9]\d*|0)$")]
    private static partial Regex Pattern();

    public static ApiVersion? TryParse(string text)
    {
        var m = Pattern().Match(text.Trim());
        return m.Success ? new ApiVersion(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)) : null;
    }
}

/// <summary>
/// Reads the requested microversion as nova does (<c>OpenStack-API-Version: compute 2.N</c>, else
/// the legacy <c>X-OpenStack-Nova-API-Version</c>, else 2.1; <c>latest</c> is the maximum), answers
/// 400 for a malformed one and 406 for one out of range, and echoes the version used.
/// </summary>
public sealed class MicroversionMiddleware(RequestDelegate next)
{
    public const string Header = "OpenStack-API-Version";
    public const string LegacyHeader = "X-OpenStack-Nova-API-Version";
    private const string ItemKey = "compute.microversion";

    public async Task InvokeAsync(HttpContext http)
    {
        // Only the versioned API has microversions; version discovery and probes do not.
        if (!http.Request.Path.StartsWithSegments("/v2.1") || http.Request.Path.Value is "/v2.1" or "/v2.1/")
        {
            await next(http);
            return;
        }
        var version = Requested(http.Request.Headers);
        http.Items[ItemKey] = version;
        http.Response.OnStarting(() =>
        {
            var headers = http.Response.Headers;
            headers[Header] = $"compute {version}";
            headers[LegacyHeader] = version.ToString();
            headers.Append("Vary", $"{Header}, {LegacyHeader}");
            return Task.CompletedTask;
        });
        await next(http);
    }

    private static ApiVersion Requested(IHeaderDictionary headers)
    {
        string? text = null;
        foreach (var value in headers[Header].SelectMany(v => (v ?? "").Split(',')))
        {
            var parts = value.Trim().Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (parts.Length == 2 && string.Equals(parts[0], "compute", StringComparison.OrdinalIgnoreCase)) text = parts[1];
        }
        text ??= headers[LegacyHeader].FirstOrDefault();
        if (string.IsNullOrWhiteSpace(text)) return ApiVersion.Min;
        if (string.Equals(text.Trim(), "latest", StringComparison.OrdinalIgnoreCase)) return ApiVersion.Max;
        var version = ApiVersion.TryParse(text)
            ?? throw ApiException.BadRequest($"API Version String {text} is of invalid format. Must be of format MajorNum.MinorNum.");
        if (version < ApiVersion.Min || version > ApiVersion.Max)
            throw new ApiException(System.Net.HttpStatusCode.NotAcceptable,
                $"Version {version} is not supported by the API. Minimum is {ApiVersion.Min} and maximum is {ApiVersion.Max}.");
        return version;
    }

    /// <summary>The microversion of this request (2.1 outside the versioned API).</summary>
    public static ApiVersion Of(HttpContext http) => http.Items.TryGetValue(ItemKey, out var v) && v is ApiVersion version ? version : ApiVersion.Min;
}

public static class MicroversionExtensions
{
    /// <summary>The microversion the client asked for (nova's <c>req.api_version_request</c>).</summary>
    public static ApiVersion Microversion(this HttpContext http) => MicroversionMiddleware.Of(http);
}
