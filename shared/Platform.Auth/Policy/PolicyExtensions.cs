using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Platform.Auth.Policy;

public static class PolicyExtensions
{
    /// <summary>Where a deployment's policy overrides are read from.</summary>
    public const string PolicyFileKey = "oslo_policy:policy_file";

    /// <summary>
    /// The policy enforcer, with <paramref name="defaults"/> added to the rules registered in code.
    /// May be called more than once (a library's rules, then the service's).
    /// </summary>
    public static WebApplicationBuilder AddPolicy(this WebApplicationBuilder builder, Action<PolicyDefaultsBuilder>? defaults = null)
    {
        builder.Services.AddPolicy(defaults);
        return builder;
    }

    public static IServiceCollection AddPolicy(this IServiceCollection services, Action<PolicyDefaultsBuilder>? defaults = null)
    {
        var rules = new PolicyDefaultsBuilder();
        defaults?.Invoke(rules);
        foreach (var rule in rules.Rules) services.AddSingleton(rule);

        services.TryAddSingleton(sp => new PolicyEnforcer(
            sp.GetServices<PolicyRuleDefault>(),
            LoadOverrides(sp.GetRequiredService<IConfiguration>()),
            sp.GetRequiredService<ILogger<PolicyEnforcer>>()));
        services.TryAddSingleton<IPolicyEnforcer>(sp => sp.GetRequiredService<PolicyEnforcer>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PolicyStartupCheck>());
        return services;
    }

    /// <summary>
    /// The overrides the configuration names, or none. A relative path is taken from the
    /// directory of <c>--config-file</c>, where oslo.policy would look for it.
    /// </summary>
    public static IReadOnlyDictionary<string, string>? LoadOverrides(IConfiguration configuration)
    {
        var file = configuration[PolicyFileKey];
        if (string.IsNullOrWhiteSpace(file)) return null;
        var configFile = configuration["config-file"];
        var baseDir = string.IsNullOrEmpty(configFile) ? Directory.GetCurrentDirectory() : Path.GetDirectoryName(Path.GetFullPath(configFile))!;
        var path = Path.GetFullPath(file, baseDir);
        if (!File.Exists(path))
            throw new FileNotFoundException($"policy file {path} ({PolicyFileKey}) does not exist", path);
        return PolicyFile.Load(path);
    }
}
