namespace Platform.Auth.Policy;

/// <summary>A rule a service defines in code; a deployment's policy file may replace its text.</summary>
public sealed record PolicyRuleDefault(string Name, string Rule, string? Description = null);

/// <summary>Collects a service's default rules, parsing each as it is added so mistakes show at once.</summary>
public sealed class PolicyDefaultsBuilder
{
    private readonly List<PolicyRuleDefault> rules = [];

    public IReadOnlyList<PolicyRuleDefault> Rules => rules;

    public PolicyDefaultsBuilder Add(string name, string rule, string? description = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(rule);
        if (rules.Any(r => r.Name == name))
            throw new InvalidOperationException($"policy rule \"{name}\" is defined twice");
        PolicyParser.Parse(name, rule);
        rules.Add(new PolicyRuleDefault(name, rule, description));
        return this;
    }
}
