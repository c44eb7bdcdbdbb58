namespace Platform.Auth.Policy;

/// <summary>What one evaluation looks at: the target, the caller, and how to find named rules.</summary>
internal sealed record PolicyScope(
    IReadOnlyDictionary<string, object?> Target,
    IReadOnlyDictionary<string, object?> Credentials,
    Func<string, PolicyCheck?> Resolve);
