using Microsoft.Extensions.Configuration;

namespace Platform.Catalog;

/// <summary>
/// The service user's credentials, read from <c>[keystone_authtoken]</c> with the option names
/// keystoneauth's password plugin uses, so an operator's nova.conf section works as it is.
/// </summary>
public sealed class KeystoneAuthOptions
{
    public const string Section = "keystone_authtoken";
    public const string AuthUrlKey = Section + ":auth_url";

    /// <summary>The identity endpoint, with or without its trailing <c>/v3</c>.</summary>
    public Uri? AuthUrl { get; init; }
    public string? Username { get; init; }
    public string? Password { get; init; }
    public string UserDomainName { get; init; } = "Default";
    public string ProjectName { get; init; } = "service";
    public string ProjectDomainName { get; init; } = "Default";

    /// <summary>The region endpoints are looked up in when a caller names none; any region when unset.</summary>
    public string? RegionName { get; init; }

    /// <summary>The endpoint interface used when a caller names none.</summary>
    public string Interface { get; init; } = "internal";

    /// <summary>
    /// The identity root: <see cref="AuthUrl"/> without a trailing <c>/v3</c>, since operators
    /// write both <c>http://keystone:5000</c> and <c>http://keystone:5000/v3</c>.
    /// </summary>
    public Uri? IdentityRoot
    {
        get
        {
            if (AuthUrl is null) return null;
            var url = AuthUrl.GetLeftPart(UriPartial.Path).TrimEnd('/');
            if (url.EndsWith("/v3", StringComparison.OrdinalIgnoreCase)) url = url[..^3];
            return new Uri(url + "/");
        }
    }

    public static KeystoneAuthOptions FromConfiguration(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        // An INI line `region_name =` means unset, not the empty string.
        string? Value(string key) => string.IsNullOrWhiteSpace(section[key]) ? null : section[key]!.Trim();

        var authUrl = Value("auth_url");
        Uri? parsed = null;
        if (authUrl is not null
            && (!Uri.TryCreate(authUrl, UriKind.Absolute, out parsed) || (parsed.Scheme != Uri.UriSchemeHttp && parsed.Scheme != Uri.UriSchemeHttps)))
            throw new InvalidOperationException($"{AuthUrlKey} '{authUrl}' is not an absolute http(s) URL");

        var defaults = new KeystoneAuthOptions();
        return new KeystoneAuthOptions
        {
            AuthUrl = parsed,
            Username = Value("username"),
            Password = section["password"], // a password may carry meaningful spaces
            UserDomainName = Value("user_domain_name") ?? defaults.UserDomainName,
            ProjectName = Value("project_name") ?? defaults.ProjectName,
            ProjectDomainName = Value("project_domain_name") ?? defaults.ProjectDomainName,
            RegionName = Value("region_name"),
            Interface = Value("interface") ?? defaults.Interface,
        };
    }

    // Never the password.
    public override string ToString() =>
        $"auth_url={AuthUrl} username={Username} user_domain_name={UserDomainName} project_name={ProjectName} " +
        $"project_domain_name={ProjectDomainName} region_name={RegionName} interface={Interface}";
}
