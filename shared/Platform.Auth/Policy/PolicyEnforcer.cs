using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Context;
using Platform.Hosting;

namespace Platform.Auth.Policy;

/// <summary>
/// The rules in force: the defaults registered in code with the deployment's overrides laid
/// over them. A rule that is not defined denies.
/// </summary>
public sealed class PolicyEnforcer : IPolicyEnforcer
{
    private readonly Dictionary<string, PolicyCheck> rules = [];
    private readonly Dictionary<string, string> texts = [];
    private readonly ConcurrentDictionary<string, bool> reportedUndefined = new();
    private readonly ILogger logger;

    public PolicyEnforcer(IEnumerable<PolicyRuleDefault> defaults, IReadOnlyDictionary<string, string>? overrides = null, ILogger<PolicyEnforcer>? logger = null)
    {
        this.logger = (ILogger?)logger ?? NullLogger.Instance;
        foreach (var rule in defaults)
        {
            if (!texts.TryAdd(rule.Name, rule.Rule))
                throw new InvalidOperationException($"policy rule \"{rule.Name}\" is registered twice");
        }
        foreach (var (name, text) in overrides ?? new Dictionary<string, string>())
            texts[name] = text;
        foreach (var (name, text) in texts)
            rules[name] = PolicyParser.Parse(name, text);
        RejectLoops();
    }

    /// <summary>The text of every rule in force, overrides applied.</summary>
    public IReadOnlyDictionary<string, string> Rules => texts;

    public bool Authorize(string rule, IReadOnlyDictionary<string, object?> target, RequestContext? credentials = null)
    {
        var check = Resolve(rule);
        if (check is null) return false;
        var caller = credentials ?? RequestContextAccessor.Current ?? new RequestContext();
        return check.Evaluate(new PolicyScope(target, PolicyCredentials.From(caller), Resolve));
    }

    public void Enforce(string rule, IReadOnlyDictionary<string, object?> target, RequestContext? credentials = null)
    {
        if (!Authorize(rule, target, credentials))
            throw ApiException.Forbidden($"Policy doesn't allow {rule} to be performed.");
    }

    private PolicyCheck? Resolve(string name)
    {
        if (rules.TryGetValue(name, out var check)) return check;
        // Once per name: a missing rule is a deployment bug, not something to log per request.
        if (reportedUndefined.TryAdd(name, true))
            logger.LogWarning("policy rule \"{Rule}\" is not defined; denying", name);
        return null;
    }

    // oslo would recurse until Python gives up; refuse such a policy when it is loaded instead.
    private void RejectLoops()
    {
        var done = new HashSet<string>();
        var path = new List<string>();
        foreach (var name in rules.Keys) Visit(name);

        void Visit(string name)
        {
            if (done.Contains(name) || !rules.TryGetValue(name, out var check)) return;
            var at = path.IndexOf(name);
            if (at >= 0)
                throw new InvalidOperationException($"policy rules refer to each other in a loop: {string.Join(" -> ", path.Skip(at).Append(name))}");
            path.Add(name);
            foreach (var referenced in check.ReferencedRules) Visit(referenced);
            path.RemoveAt(path.Count - 1);
            done.Add(name);
        }
    }
}
