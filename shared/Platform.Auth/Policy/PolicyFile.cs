using System.Text.Json;
using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace Platform.Auth.Policy;

/// <summary>
/// A deployment's policy overrides: a YAML or JSON map of rule name to rule text, as
/// oslo.policy's policy.yaml (JSON when the file name ends in <c>.json</c>).
/// </summary>
public static class PolicyFile
{
    public static IReadOnlyDictionary<string, string> Load(string path)
    {
        var text = File.ReadAllText(path);
        try
        {
            return path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? ParseJson(text) : ParseYaml(text);
        }
        catch (Exception e) when (e is JsonException or YamlException)
        {
            throw new FormatException($"policy file {path} is not a map of rule name to rule text: {e.Message}", e);
        }
    }

    public static IReadOnlyDictionary<string, string> ParseYaml(string text)
    {
        // A key with no value is the empty rule, as it would be in JSON with "".
        var map = new DeserializerBuilder().Build().Deserialize<Dictionary<string, string?>?>(text);
        return map?.ToDictionary(kv => kv.Key, kv => kv.Value ?? "") ?? [];
    }

    public static IReadOnlyDictionary<string, string> ParseJson(string text)
    {
        using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
            throw new FormatException("a JSON policy file must hold an object");
        var rules = new Dictionary<string, string>();
        foreach (var property in doc.RootElement.EnumerateObject())
        {
            rules[property.Name] = property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString()!,
                JsonValueKind.Null => "",
                _ => throw new FormatException($"policy rule \"{property.Name}\" must be a string"),
            };
        }
        return rules;
    }
}
