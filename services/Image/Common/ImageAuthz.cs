using Image.Images;
using Platform.Auth.Policy;
using Platform.Context;
using Platform.Hosting;

namespace Image.Common;

/// <summary>Who may see and do what with an image, with glance's answers: unseen is 404, refused is 403.</summary>
public sealed class ImageAuthz(IPolicyEnforcer policy)
{
    private static readonly Dictionary<string, object?> NoTarget = [];

    public static RequestContext Caller => RequestContextAccessor.Current ?? throw ApiException.Unauthorized();

    public bool IsAdmin => policy.Authorize("context_is_admin", NoTarget, Caller);

    public static Dictionary<string, object?> Target(Image.Images.Image image, string? memberId = null) => new()
    {
        ["project_id"] = image.Owner,
        ["owner"] = image.Owner,
        ["visibility"] = image.Visibility,
        ["member_id"] = memberId,
    };

    public bool Allows(string rule, IReadOnlyDictionary<string, object?> target) => policy.Authorize(rule, target, Caller);

    public void Enforce(string rule, IReadOnlyDictionary<string, object?> target)
    {
        if (!Allows(rule, target)) throw ApiException.Forbidden($"You are not authorized to complete {rule} action.");
    }

    /// <summary>
    /// glance's visibility rule: an admin sees everything; anyone sees public and community
    /// images and those with no owner; the owner sees its own; a project sees a shared image it
    /// is a member of, whatever its member status.
    /// </summary>
    public bool CanSee(Image.Images.Image image, bool isMember) =>
        IsAdmin || image.Owner is null || image.Visibility is "public" or "community"
        || (Caller.ProjectId is { } project && (project == image.Owner || (image.Visibility == "shared" && isMember)));
}

/// <summary>glance's lists of formats (<c>image_format:disk_formats</c> and <c>container_formats</c>).</summary>
public sealed record ImageFormats(IReadOnlyList<string> DiskFormats, IReadOnlyList<string> ContainerFormats)
{
    public static ImageFormats FromConfiguration(IConfiguration configuration) => new(
        List(configuration["image_format:disk_formats"]) ?? ["ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop"],
        List(configuration["image_format:container_formats"]) ?? ["ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed"]);

    private static string[]? List(string? text) =>
        string.IsNullOrWhiteSpace(text) ? null : text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>
/// Per-project limits, named as glance's unified limits name them: <c>quota:image_count_total</c>
/// (images) and <c>quota:image_size_total</c> (MiB of image data); -1, the default, is no limit.
/// </summary>
public sealed record ImageQuota(long ImageCountTotal, long ImageSizeTotalBytes)
{
    public static ImageQuota FromConfiguration(IConfiguration configuration)
    {
        var count = long.TryParse(configuration["quota:image_count_total"], out var c) ? c : -1;
        var mib = long.TryParse(configuration["quota:image_size_total"], out var s) ? s : -1;
        return new(count, mib < 0 ? -1 : mib * 1024 * 1024);
    }
}
