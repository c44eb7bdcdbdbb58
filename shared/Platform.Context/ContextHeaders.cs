namespace Platform.Context;

/// <summary>Header names that carry the caller context over HTTP and over the bus.</summary>
public static class ContextHeaders
{
    public const string RequestId = "x-openstack-request-id";
    public const string ComputeRequestId = "x-compute-request-id";
    public const string GlobalRequestId = "X-OpenStack-Request-ID";

    // Bus headers: one per field, so a message's headers read plainly in the management UI.
    public const string BusRequestId = "platform-request-id";
    public const string BusGlobalRequestId = "platform-global-request-id";
    public const string BusUserId = "platform-user-id";
    public const string BusProjectId = "platform-project-id";
    public const string BusDomainId = "platform-domain-id";
    public const string BusSystemScope = "platform-system-scope";
    public const string BusRoles = "platform-roles";

    /// <summary>The headers that describe <paramref name="context"/> on a message (never the token).</summary>
    public static IEnumerable<KeyValuePair<string, string>> ToBusHeaders(RequestContext context)
    {
        yield return new(BusRequestId, context.RequestId);
        yield return new(BusGlobalRequestId, context.GlobalRequestId ?? context.RequestId);
        if (context.UserId is not null) yield return new(BusUserId, context.UserId);
        if (context.ProjectId is not null) yield return new(BusProjectId, context.ProjectId);
        if (context.DomainId is not null) yield return new(BusDomainId, context.DomainId);
        if (context.SystemScope is not null) yield return new(BusSystemScope, context.SystemScope);
        if (context.Roles.Count > 0) yield return new(BusRoles, string.Join(',', context.Roles));
    }

    /// <summary>
    /// The context a consumer works under: the sender's identity and global request id, with a
    /// request id of its own, as each nova service logs its own request id beside the global one.
    /// </summary>
    public static RequestContext FromBusHeaders(Func<string, string?> header)
    {
        var roles = header(BusRoles);
        return new RequestContext
        {
            GlobalRequestId = header(BusGlobalRequestId) ?? header(BusRequestId),
            UserId = header(BusUserId),
            ProjectId = header(BusProjectId),
            DomainId = header(BusDomainId),
            SystemScope = header(BusSystemScope),
            Roles = string.IsNullOrEmpty(roles) ? [] : roles.Split(',', StringSplitOptions.RemoveEmptyEntries),
        };
    }
}
