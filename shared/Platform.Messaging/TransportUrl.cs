namespace Platform.Messaging;

/// <summary>
/// oslo.messaging's <c>transport_url</c>: <c>rabbit://user:pass@host:5672/vhost</c>, or
/// <c>memory://</c> for the in-process transport that unit tests use.
/// </summary>
public sealed record TransportUrl(string Scheme, string Host, ushort Port, string VirtualHost, string UserName, string Password)
{
    public const string ConfigKey = "messaging:transport_url";

    public bool IsInMemory => Scheme == "memory";

    public static TransportUrl Parse(string url)
    {
        var uri = new Uri(url);
        if (uri.Scheme == "memory")
            return new TransportUrl("memory", "", 0, "/", "", "");
        if (uri.Scheme is not ("rabbit" or "amqp"))
            throw new ArgumentException($"unsupported transport '{uri.Scheme}': use rabbit:// or memory://");
        var user = "guest";
        var password = "guest";
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            var parts = uri.UserInfo.Split(':', 2);
            user = Uri.UnescapeDataString(parts[0]);
            password = parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : "";
        }
        var vhost = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        return new TransportUrl("rabbit", uri.Host, uri.Port > 0 ? (ushort)uri.Port : (ushort)5672, vhost.Length == 0 ? "/" : vhost, user, password);
    }

    /// <summary>The URL without its password, for logs.</summary>
    public override string ToString() => IsInMemory ? "memory://" : $"rabbit://{UserName}:***@{Host}:{Port}/{Uri.EscapeDataString(VirtualHost)}";
}
