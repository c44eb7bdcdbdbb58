namespace Image.Images;

/// <summary>glance's image statuses.</summary>
public static class ImageStatus
{
    public const string Queued = "queued";
    public const string Saving = "saving";
    public const string Active = "active";
    public const string Killed = "killed";
    public const string Deactivated = "deactivated";
}

/// <summary>An image row. Dapper builds it through this constructor: the parameters follow <see cref="ImageStore.Columns"/>.</summary>
public sealed record Image(
    string Id, string? Name, string Status, string Visibility, bool Protected, bool OsHidden, string? Owner,
    long? Size, long? VirtualSize, string? Checksum, string? OsHashAlgo, string? OsHashValue,
    string? DiskFormat, string? ContainerFormat, int MinDisk, int MinRam, string? Location,
    DateTime CreatedAt, DateTime UpdatedAt)
{
    /// <summary>Additional properties, every value a string, as glance keeps them.</summary>
    public IReadOnlyDictionary<string, string> Properties { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<string> Tags { get; init; } = [];
}

/// <summary>A project an image is shared with, and whether it took the share.</summary>
public sealed record ImageMember(string ImageId, string Member, string Status, DateTime CreatedAt, DateTime UpdatedAt);
