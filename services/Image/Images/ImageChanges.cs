using System.Text.Json;
using System.Text.Json.Nodes;
using Image.Common;
using Platform.Hosting;

namespace Image.Images;

/// <summary>
/// Applies one attribute to an image, as create and PATCH both do: base attributes are checked
/// against glance's image schema, anything else is an additional property whose value must be a string.
/// </summary>
public sealed class ImageChanges(ImageFormats formats)
{
    public const int MaxProperties = 128;
    public const int MaxTags = 128;

    public static readonly HashSet<string> ReadOnly =
        ["status", "checksum", "os_hash_algo", "os_hash_value", "size", "virtual_size", "created_at", "updated_at", "direct_url", "self", "file", "schema", "stores"];

    public static readonly HashSet<string> Reserved = ["location", "deleted", "deleted_at", "locations"];

    /// <summary>The writable base attributes; they may be changed but never removed.</summary>
    public static readonly HashSet<string> Base =
        ["id", "name", "visibility", "protected", "os_hidden", "owner", "container_format", "disk_format", "min_ram", "min_disk", "tags"];

    public static readonly string[] Visibilities = ["public", "private", "shared", "community"];

    public static void RefuseReadOnlyOrReserved(string name)
    {
        if (ReadOnly.Contains(name)) throw ApiException.Forbidden($"Attribute '{name}' is read-only.");
        if (Reserved.Contains(name)) throw ApiException.Forbidden($"Attribute '{name}' is reserved.");
    }

    public Image Apply(Image image, string name, JsonNode? value)
    {
        RefuseReadOnlyOrReserved(name);
        switch (name)
        {
            case "id":
                throw ApiException.Forbidden("Attribute 'id' is read-only.");
            case "name":
                return image with { Name = NullableString(name, value, 255) };
            case "owner":
                return image with { Owner = NullableString(name, value, 255) };
            case "visibility":
                var visibility = NullableString(name, value, 9);
                if (visibility is null || !Visibilities.Contains(visibility))
                    throw GlanceBody.Schema("image", $"{Show(value)} is not one of ['community', 'public', 'private', 'shared']");
                return image with { Visibility = visibility };
            case "protected":
                return image with { Protected = Bool(name, value) };
            case "os_hidden":
                return image with { OsHidden = Bool(name, value) };
            case "disk_format":
                return image with { DiskFormat = Format(name, value, formats.DiskFormats) };
            case "container_format":
                return image with { ContainerFormat = Format(name, value, formats.ContainerFormats) };
            case "min_ram":
                return image with { MinRam = NonNegative(name, value) };
            case "min_disk":
                return image with { MinDisk = NonNegative(name, value) };
            case "tags":
                if (value is not JsonArray array) throw GlanceBody.Schema("image", $"{Show(value)} is not of type 'array'");
                var tags = array.Select(t => GlanceBody.IsString(t) && t!.GetValue<string>().Length <= 255 ? t.GetValue<string>()
                    : throw GlanceBody.Schema("image", $"{Show(t)} is not a tag (a string of at most 255 characters)")).Distinct(StringComparer.Ordinal).ToList();
                if (tags.Count > MaxTags) throw TooMany("tags", MaxTags);
                return image with { Tags = tags };
            default:
                if (name.Length == 0 || name.Length > 255) throw GlanceBody.Schema("image", $"'{name}' is not a property name of 1 to 255 characters");
                if (!GlanceBody.IsString(value)) throw GlanceBody.Schema("image", $"{Show(value)} is not of type 'string'");
                var properties = new Dictionary<string, string>(image.Properties, StringComparer.Ordinal) { [name] = value!.GetValue<string>() };
                if (properties.Count > MaxProperties) throw TooMany("properties", MaxProperties);
                return image with { Properties = properties };
        }
    }

    public static Image Remove(Image image, string name)
    {
        RefuseReadOnlyOrReserved(name);
        if (Base.Contains(name)) throw ApiException.Forbidden($"Property {name} may not be removed.");
        if (!image.Properties.ContainsKey(name)) throw ApiException.Conflict($"Property {name} does not exist.");
        var properties = new Dictionary<string, string>(image.Properties, StringComparer.Ordinal);
        properties.Remove(name);
        return image with { Properties = properties };
    }

    public static bool Has(Image image, string name) => Base.Contains(name) || image.Properties.ContainsKey(name);

    public static ApiException TooMany(string what, int limit) =>
        new(System.Net.HttpStatusCode.RequestEntityTooLarge, $"Maximum number of {what} exceeded: an image may have at most {limit}.");

    private static string Show(JsonNode? value) => value?.ToJsonString() ?? "None";

    private static string? NullableString(string name, JsonNode? value, int max)
    {
        if (value is null) return null;
        if (!GlanceBody.IsString(value)) throw GlanceBody.Schema("image", $"{Show(value)} is not of type 'null', 'string' ({name})");
        var s = value.GetValue<string>();
        if (s.Length > max) throw GlanceBody.Schema("image", $"'{name}' is too long (at most {max} characters)");
        return s;
    }

    private static bool Bool(string name, JsonNode? value) =>
        value is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? v.GetValue<bool>()
            : throw GlanceBody.Schema("image", $"{Show(value)} is not of type 'boolean' ({name})");

    private static int NonNegative(string name, JsonNode? value)
    {
        if (value is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var n))
            return n >= 0 ? n : throw GlanceBody.Schema("image", $"{n} is less than the minimum of 0 ({name})");
        throw GlanceBody.Schema("image", $"{Show(value)} is not of type 'integer' ({name})");
    }

    private static string? Format(string name, JsonNode? value, IReadOnlyList<string> allowed)
    {
        var s = NullableString(name, value, 20);
        if (s is not null && !allowed.Contains(s))
            throw GlanceBody.Schema("image", $"'{s}' is not one of [{string.Join(", ", allowed.Select(a => $"'{a}'"))}] ({name})");
        return s;
    }
}
