using System.Text.Json.Nodes;
using Image.Common;
using Image.Images;

namespace Image.Schemas;

/// <summary>
/// /v2/schemas: the JSON schemas clients read to learn what an image and a member may hold.
/// Additional properties are allowed, each a string.
/// </summary>
public static class SchemasApi
{
    public static void MapSchemas(this IEndpointRouteBuilder v2)
    {
        v2.MapGet("/schemas/image", (ImageFormats formats) => Results.Json(Image(formats)));
        v2.MapGet("/schemas/images", (ImageFormats formats) => Results.Json(Images(formats)));
        v2.MapGet("/schemas/member", () => Results.Json(Member()));
        v2.MapGet("/schemas/members", () => Results.Json(Members()));
    }

    private static JsonObject Prop(JsonNode type, string description, bool readOnly = false, int? maxLength = null)
    {
        var o = new JsonObject { ["type"] = type, ["description"] = description };
        if (readOnly) o["readOnly"] = true;
        if (maxLength is { } m) o["maxLength"] = m;
        return o;
    }

    private static JsonArray NullOr(string type) => ["null", type];

    private static JsonArray Enum(IEnumerable<string?> values) => [.. values.Select(v => (JsonNode?)(v is null ? null : JsonValue.Create(v)))];

    public static JsonObject Image(ImageFormats formats)
    {
        var uuid = Prop("string", "An identifier for the image");
        uuid["pattern"] = "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$";
        var status = Prop("string", "Status of the image", readOnly: true);
        status["enum"] = Enum(["queued", "saving", "active", "killed", "deleted", "uploading", "importing", "pending_delete", "deactivated"]);
        var visibility = Prop("string", "Scope of image accessibility");
        visibility["enum"] = Enum(ImageChanges.Visibilities);
        var container = Prop(NullOr("string"), "Format of the container");
        container["enum"] = Enum([null, .. formats.ContainerFormats]);
        var disk = Prop(NullOr("string"), "Format of the disk");
        disk["enum"] = Enum([null, .. formats.DiskFormats]);
        var tags = Prop("array", "List of strings related to the image");
        tags["items"] = new JsonObject { ["type"] = "string", ["maxLength"] = 255 };
        return new JsonObject
        {
            ["name"] = "image",
            ["properties"] = new JsonObject
            {
                ["id"] = uuid,
                ["name"] = Prop(NullOr("string"), "Descriptive name for the image", maxLength: 255),
                ["status"] = status,
                ["visibility"] = visibility,
                ["protected"] = Prop("boolean", "If true, image will not be deletable."),
                ["os_hidden"] = Prop("boolean", "If true, image will not appear in default image list response."),
                ["checksum"] = Prop(NullOr("string"), "md5 hash of image contents.", readOnly: true, maxLength: 32),
                ["os_hash_algo"] = Prop(NullOr("string"), "Algorithm to calculate the os_hash_value", readOnly: true, maxLength: 64),
                ["os_hash_value"] = Prop(NullOr("string"), "Hexdigest of the image contents using the algorithm specified by the os_hash_algo", readOnly: true, maxLength: 128),
                ["owner"] = Prop(NullOr("string"), "Owner of the image", maxLength: 255),
                ["size"] = Prop(NullOr("integer"), "Size of image file in bytes", readOnly: true),
                ["virtual_size"] = Prop(NullOr("integer"), "Virtual size of image in bytes", readOnly: true),
                ["container_format"] = container,
                ["disk_format"] = disk,
                ["created_at"] = Prop("string", "Date and time of image registration", readOnly: true),
                ["updated_at"] = Prop("string", "Date and time of the last image modification", readOnly: true),
                ["tags"] = tags,
                ["direct_url"] = Prop("string", "URL to access the image file kept in external store", readOnly: true),
                ["min_ram"] = Prop("integer", "Amount of ram (in MB) required to boot image."),
                ["min_disk"] = Prop("integer", "Amount of disk space (in GB) required to boot image."),
                ["self"] = Prop("string", "An image self url", readOnly: true),
                ["file"] = Prop("string", "An image file url", readOnly: true),
                ["stores"] = Prop("string", "Store in which image data resides.", readOnly: true),
                ["schema"] = Prop("string", "An image schema url", readOnly: true),
            },
            ["additionalProperties"] = new JsonObject { ["type"] = "string" },
            ["links"] = new JsonArray(
                new JsonObject { ["rel"] = "self", ["href"] = "{self}" },
                new JsonObject { ["rel"] = "enclosure", ["href"] = "{file}" },
                new JsonObject { ["rel"] = "describedby", ["href"] = "{schema}" }),
        };
    }

    public static JsonObject Images(ImageFormats formats) => new()
    {
        ["name"] = "images",
        ["properties"] = new JsonObject
        {
            ["images"] = new JsonObject { ["type"] = "array", ["items"] = Image(formats) },
            ["schema"] = new JsonObject { ["type"] = "string" },
            ["first"] = new JsonObject { ["type"] = "string" },
            ["next"] = new JsonObject { ["type"] = "string" },
        },
        ["links"] = new JsonArray(
            new JsonObject { ["rel"] = "first", ["href"] = "{first}" },
            new JsonObject { ["rel"] = "next", ["href"] = "{next}" },
            new JsonObject { ["rel"] = "describedby", ["href"] = "{schema}" }),
    };

    public static JsonObject Member()
    {
        var status = Prop("string", "The status of this image member");
        status["enum"] = Enum(["pending", "accepted", "rejected"]);
        return new JsonObject
        {
            ["name"] = "member",
            ["properties"] = new JsonObject
            {
                ["created_at"] = Prop("string", "Date and time of image member creation"),
                ["image_id"] = Prop("string", "An identifier for the image"),
                ["member_id"] = Prop("string", "An identifier for the image member (tenantId)"),
                ["status"] = status,
                ["updated_at"] = Prop("string", "Date and time of last modification of image member"),
                ["schema"] = Prop("string", "", readOnly: true),
            },
        };
    }

    public static JsonObject Members() => new()
    {
        ["name"] = "members",
        ["properties"] = new JsonObject
        {
            ["members"] = new JsonObject { ["type"] = "array", ["items"] = Member() },
            ["schema"] = new JsonObject { ["type"] = "string" },
        },
        ["links"] = new JsonArray(new JsonObject { ["rel"] = "schema", ["href"] = "{schema}" }),
    };
}
