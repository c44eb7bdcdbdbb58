using System.Text.Json;

namespace Conductor.Db;

/// <summary>The JSON text of the blob columns (flavor, metadata, network_info, specs).</summary>
public static class Json
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static string Write<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T Read<T>(string? text, T fallback) =>
        string.IsNullOrEmpty(text) ? fallback : JsonSerializer.Deserialize<T>(text, Options) ?? fallback;
}
