using Platform.Context;

namespace Platform.Auth.Policy;

/// <summary>Answers whether the caller may do something, as oslo.policy's Enforcer does.</summary>
public interface IPolicyEnforcer
{
    /// <summary>
    /// Whether <paramref name="rule"/> passes for <paramref name="target"/> (the attributes of
    /// the thing acted on, such as its <c>project_id</c>). The caller is
    /// <paramref name="credentials"/>, or the current request's context when null.
    /// </summary>
    bool Authorize(string rule, IReadOnlyDictionary<string, object?> target, RequestContext? credentials = null);

    /// <summary>As <see cref="Authorize"/>, but a refusal throws a 403.</summary>
    void Enforce(string rule, IReadOnlyDictionary<string, object?> target, RequestContext? credentials = null);
}
