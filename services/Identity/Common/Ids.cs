namespace Identity.Common;

/// <summary>Keystone's ids: 32 lowercase hex characters, no dashes.</summary>
public static class Ids
{
    public static string New() => Guid.NewGuid().ToString("N");

    /// <summary>The id keystone gives its default domain.</summary>
    public const string DefaultDomainId = "default";
}
