using System.Globalization;
using System.Text.Json.Nodes;

namespace Image.Images;

/// <summary>An image as glance v2 shows it: the base attributes, then every additional property at the top level.</summary>
public static class ImageView
{
    public static string Time(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static JsonObject Build(Image i)
    {
        var o = new JsonObject();
        // Additional properties first, so a base attribute always wins a clash.
        foreach (var (name, value) in i.Properties.OrderBy(p => p.Key, StringComparer.Ordinal)) o[name] = value;
        o["id"] = i.Id;
        o["name"] = i.Name;
        o["status"] = i.Status;
        o["visibility"] = i.Visibility;
        o["protected"] = i.Protected;
        o["os_hidden"] = i.OsHidden;
        o["checksum"] = i.Checksum;
        o["os_hash_algo"] = i.OsHashAlgo;
        o["os_hash_value"] = i.OsHashValue;
        o["owner"] = i.Owner;
        o["size"] = i.Size;
        o["virtual_size"] = i.VirtualSize;
        o["container_format"] = i.ContainerFormat;
        o["disk_format"] = i.DiskFormat;
        o["created_at"] = Time(i.CreatedAt);
        o["updated_at"] = Time(i.UpdatedAt);
        o["tags"] = new JsonArray([.. i.Tags.Select(t => (JsonNode?)JsonValue.Create(t))]);
        o["min_ram"] = i.MinRam;
        o["min_disk"] = i.MinDisk;
        o["self"] = $"/v2/images/{i.Id}";
        o["file"] = $"/v2/images/{i.Id}/file";
        o["schema"] = "/v2/schemas/image";
        return o;
    }

    public static JsonObject Member(ImageMember m) => new()
    {
        ["created_at"] = Time(m.CreatedAt),
        ["updated_at"] = Time(m.UpdatedAt),
        ["image_id"] = m.ImageId,
        ["member_id"] = m.Member,
        ["schema"] = "/v2/schemas/member",
        ["status"] = m.Status,
    };
}
