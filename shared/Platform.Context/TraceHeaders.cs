using System.Diagnostics;

namespace Platform.Context;

/// <summary>
/// A flow's place in its trace, written down as W3C trace context (<c>traceparent</c>,
/// <c>tracestate</c>), so work done later or by another process, such as an outbox row sent
/// after its transaction committed, continues the same trace.
/// </summary>
public static class TraceHeaders
{
    public const string TraceParent = "traceparent";
    public const string TraceState = "tracestate";

    /// <summary>The headers naming <paramref name="activity"/> as the parent of what follows; none without a W3C activity.</summary>
    public static IEnumerable<KeyValuePair<string, string>> From(Activity? activity)
    {
        if (activity is null || activity.IdFormat != ActivityIdFormat.W3C || activity.Id is null) yield break;
        // A W3C activity's id is its traceparent: version, trace id, span id, flags.
        yield return new(TraceParent, activity.Id);
        if (!string.IsNullOrEmpty(activity.TraceStateString)) yield return new(TraceState, activity.TraceStateString);
    }

    /// <summary>The parent written by <see cref="From"/>, marked remote; false when there is none or it is malformed.</summary>
    public static bool TryParse(Func<string, string?> header, out ActivityContext parent) =>
        ActivityContext.TryParse(header(TraceParent), header(TraceState), isRemote: true, out parent);
}
