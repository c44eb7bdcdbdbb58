namespace Platform.Auth.Policy;

/// <summary>
/// A parsed policy rule: a tree of checks combined with <c>and</c>, <c>or</c> and <c>not</c>,
/// as oslo.policy builds it. <see cref="ToString"/> renders it back with explicit parentheses.
/// </summary>
public abstract class PolicyCheck
{
    internal abstract bool Evaluate(PolicyScope scope);

    /// <summary>The rules this one names with <c>rule:</c>, directly or within its parts.</summary>
    public virtual IEnumerable<string> ReferencedRules => [];
}

/// <summary><c>@</c> or the empty rule: always passes.</summary>
public sealed class AlwaysCheck : PolicyCheck
{
    public static readonly AlwaysCheck Instance = new();
    internal override bool Evaluate(PolicyScope scope) => true;
    public override string ToString() => "@";
}

/// <summary><c>!</c>: never passes.</summary>
public sealed class NeverCheck : PolicyCheck
{
    public static readonly NeverCheck Instance = new();
    internal override bool Evaluate(PolicyScope scope) => false;
    public override string ToString() => "!";
}

public sealed class AndCheck(IReadOnlyList<PolicyCheck> parts) : PolicyCheck
{
    public IReadOnlyList<PolicyCheck> Parts { get; } = parts;
    internal override bool Evaluate(PolicyScope scope) => Parts.All(p => p.Evaluate(scope));
    public override IEnumerable<string> ReferencedRules => Parts.SelectMany(p => p.ReferencedRules);
    public override string ToString() => "(" + string.Join(" and ", Parts) + ")";
}

public sealed class OrCheck(IReadOnlyList<PolicyCheck> parts) : PolicyCheck
{
    public IReadOnlyList<PolicyCheck> Parts { get; } = parts;
    internal override bool Evaluate(PolicyScope scope) => Parts.Any(p => p.Evaluate(scope));
    public override IEnumerable<string> ReferencedRules => Parts.SelectMany(p => p.ReferencedRules);
    public override string ToString() => "(" + string.Join(" or ", Parts) + ")";
}

public sealed class NotCheck(PolicyCheck inner) : PolicyCheck
{
    public PolicyCheck Inner { get; } = inner;
    internal override bool Evaluate(PolicyScope scope) => !Inner.Evaluate(scope);
    public override IEnumerable<string> ReferencedRules => Inner.ReferencedRules;
    public override string ToString() => "not " + Inner;
}

/// <summary><c>role:admin</c>: the caller holds the role (case-insensitive); the name may come from the target.</summary>
public sealed class RoleCheck(string match) : PolicyCheck
{
    public string Match { get; } = match;

    internal override bool Evaluate(PolicyScope scope)
    {
        if (!PolicyValues.TrySubstitute(Match, scope.Target, out var role)) return false;
        return scope.Credentials.TryGetValue("roles", out var roles) && roles is IEnumerable<string> names
            && names.Any(r => string.Equals(r, role, StringComparison.OrdinalIgnoreCase));
    }

    public override string ToString() => "role:" + Match;
}

/// <summary><c>rule:name</c>: passes when the named rule does; an undefined rule denies.</summary>
public sealed class RuleCheck(string name) : PolicyCheck
{
    public string Name { get; } = name;
    internal override bool Evaluate(PolicyScope scope) => scope.Resolve(Name) is { } rule && rule.Evaluate(scope);
    public override IEnumerable<string> ReferencedRules => [Name];
    public override string ToString() => "rule:" + Name;
}

/// <summary>
/// Any other <c>kind:match</c>. The match has <c>%(key)s</c> filled in from the target; the kind
/// is either a literal (<c>'member'</c>, <c>True</c>, <c>42</c>) or a dotted path into the
/// credentials, compared as strings the way Python's <c>str()</c> would print them.
/// </summary>
public sealed class GenericCheck(string kind, string match) : PolicyCheck
{
    public string Kind { get; } = kind;
    public string Match { get; } = match;

    internal override bool Evaluate(PolicyScope scope)
    {
        if (!PolicyValues.TrySubstitute(Match, scope.Target, out var expected)) return false;
        if (PolicyValues.TryParseLiteral(Kind, out var literal)) return literal == expected;
        return PolicyValues.PathMatches(scope.Credentials, Kind.Split('.'), expected);
    }

    public override string ToString() => Kind + ":" + Match;
}
