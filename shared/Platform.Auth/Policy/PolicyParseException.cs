namespace Platform.Auth.Policy;

/// <summary>A policy rule that cannot be parsed; says which rule and where.</summary>
public sealed class PolicyParseException(string ruleName, string ruleText, int position, string problem)
    : FormatException($"policy rule \"{ruleName}\" is not valid at position {position}: {problem} (rule: \"{ruleText}\")")
{
    public string RuleName { get; } = ruleName;
    public string RuleText { get; } = ruleText;

    /// <summary>1-based character position in <see cref="RuleText"/>.</summary>
    public int Position { get; } = position;

    public string Problem { get; } = problem;
}
