using System.Diagnostics;

namespace Platform.Messaging;

/// <summary>
/// The fleet's own spans around messaging, beside MassTransit's: an outbox row's send is one,
/// started under the trace of the request that wrote the row.
/// </summary>
public static class MessagingActivities
{
    /// <summary>Traced by every deployable (<c>ServiceDefaults</c> adds the project's <c>Platform.*</c> sources).</summary>
    public const string SourceName = "Platform.Messaging";

    internal static readonly ActivitySource Source = new(SourceName);
}
