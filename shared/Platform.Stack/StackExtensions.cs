using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Platform.Auth;
using Platform.Catalog;
using Platform.Data;
using Platform.HostCommands;
using Platform.Messaging;
using Platform.Messaging.Outbox;
using Microsoft.Extensions.DependencyInjection;

namespace Platform.Stack;

/// <summary>
/// The two standard stacks, so every service (and every agent) is wired alike and a new one
/// cannot forget a piece: what differs between deployables is only what they add on top.
/// </summary>
public static class StackExtensions
{
    /// <summary>
    /// A service: its own database (migrations from <paramref name="migrations"/>) with the
    /// outbox, the bus with <paramref name="endpoints"/>, token validation, and the catalog to
    /// find its peers. Identity passes <paramref name="catalog"/> false: it is the catalog.
    /// </summary>
    public static WebApplicationBuilder AddServiceStack(this WebApplicationBuilder builder, Assembly migrations,
        Action<MessagingBuilder>? endpoints = null, bool catalog = true)
    {
        builder.AddDatabase(migrations);
        builder.AddOutbox();
        // Every instance keeps its own revocation list, fed by identity's fanout.
        builder.AddMessaging(b =>
        {
            endpoints?.Invoke(b);
            b.ProcessFanout("token-revocations", e => e.Consumer<TokenRevokedConsumer>());
        });
        builder.AddTokenAuth();
        if (catalog)
        {
            builder.AddServiceCatalog();
            builder.Services.AddHostedService<RevocationEventsLoader>();
        }
        return builder;
    }

    /// <summary>
    /// An agent: the bus with <paramref name="endpoints"/> and the host command layer; no
    /// database. <paramref name="catalog"/> for agents that read REST peers (compute reads images).
    /// </summary>
    public static WebApplicationBuilder AddAgentStack(this WebApplicationBuilder builder,
        Action<MessagingBuilder>? endpoints = null, bool catalog = false)
    {
        builder.AddMessaging(endpoints);
        builder.Services.AddHostCommands();
        if (catalog) builder.AddServiceCatalog();
        return builder;
    }
}
