using System.Globalization;
using System.Text.Json.Nodes;
using Volume.Common;

namespace Volume.Volumes;

/// <summary>
/// A volume as cinder's v3 view shows it (summary and detail), with the attributes of the
/// extensions cinder always loads: <c>os-vol-tenant-attr</c> (readers of the project),
/// <c>os-vol-host-attr</c> and <c>os-vol-mig-status-attr</c> (admins) and
/// <c>volume_image_metadata</c> (a volume made from an image).
/// </summary>
public static class VolumeView
{
    public const string HostAttributeRule = "volume_extension:volume_host_attribute";
    public const string TenantAttributeRule = "volume_extension:volume_tenant_attribute";
    public const string MigrationAttributeRule = "volume_extension:volume_mig_status_attribute";
    public const string ImageMetadataShowRule = "volume_extension:volume_image_metadata:show";

    /// <summary>cinder's time format (Python's isoformat of a naive UTC time).</summary>
    public static string Time(DateTime? t) => t is { } v ? v.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff", CultureInfo.InvariantCulture) : null!;

    public static JsonNode? TimeNode(DateTime? t) => t is null ? null : JsonValue.Create(Time(t));

    /// <summary>The self and bookmark links of a resource of the caller's project.</summary>
    public static JsonArray Links(HttpRequest request, string collection, string id)
    {
        var root = $"{request.Scheme}://{request.Host}";
        var project = CinderAuthz.Caller.ProjectId;
        return
        [
            new JsonObject { ["rel"] = "self", ["href"] = $"{root}/v3/{project}/{collection}/{id}" },
            new JsonObject { ["rel"] = "bookmark", ["href"] = $"{root}/{project}/{collection}/{id}" },
        ];
    }

    public static JsonObject Summary(HttpRequest request, VolumeRow v) => new()
    {
        ["id"] = v.Id,
        ["name"] = v.DisplayName,
        ["links"] = Links(request, "volumes", v.Id),
    };

    public static JsonObject Detail(HttpContext http, CinderAuthz authz, VolumeDetails d)
    {
        var v = d.Row;
        var version = http.Microversion();
        var isAdmin = authz.IsAdmin;
        var view = new JsonObject
        {
            ["id"] = v.Id,
            ["status"] = v.Status,
            ["size"] = v.Size,
            ["availability_zone"] = v.AvailabilityZone,
            ["created_at"] = Time(v.CreatedAt),
            ["updated_at"] = TimeNode(v.UpdatedAt),
            ["name"] = v.DisplayName,
            ["description"] = v.DisplayDescription,
            ["volume_type"] = d.TypeName ?? v.VolumeTypeId,
            ["snapshot_id"] = v.SnapshotId,
            ["source_volid"] = v.SourceVolid,
            ["metadata"] = Map(d.Metadata),
            ["links"] = Links(http.Request, "volumes", v.Id),
            ["user_id"] = v.UserId,
            ["bootable"] = v.Bootable ? "true" : "false",
            ["encrypted"] = false,
            ["replication_status"] = v.ReplicationStatus,
            ["consistencygroup_id"] = null,
            ["multiattach"] = v.Multiattach,
            ["attachments"] = Attachments(d.Attachments, isAdmin),
        };
        if (isAdmin) view["migration_status"] = v.MigrationStatus;
        if (version.AtLeast(13)) view["group_id"] = v.GroupId;
        if (isAdmin && version.AtLeast(21)) view["provider_id"] = v.ProviderId;
        if (version.AtLeast(48))
        {
            view["shared_targets"] = true;
            view["service_uuid"] = v.ServiceUuid;
        }
        if (authz.Allows(TenantAttributeRule, v.ProjectId)) view["os-vol-tenant-attr:tenant_id"] = v.ProjectId;
        if (authz.Allows(HostAttributeRule, v.ProjectId)) view["os-vol-host-attr:host"] = v.Host;
        if (authz.Allows(MigrationAttributeRule, v.ProjectId))
        {
            view["os-vol-mig-status-attr:migstat"] = v.MigrationStatus;
            view["os-vol-mig-status-attr:name_id"] = null;
        }
        if (d.ImageMetadata.Count > 0 && authz.Allows(ImageMetadataShowRule, v.ProjectId))
            view["volume_image_metadata"] = Map(d.ImageMetadata);
        return view;
    }

    /// <summary>The attachments that are attached, as cinder lists them on a volume (the host only for admins).</summary>
    private static JsonArray Attachments(IReadOnlyList<AttachmentRow> attachments, bool isAdmin)
    {
        var list = new JsonArray();
        foreach (var a in attachments.Where(a => a.AttachStatus == "attached"))
            list.Add(new JsonObject
            {
                ["id"] = a.VolumeId,
                ["attachment_id"] = a.Id,
                ["volume_id"] = a.VolumeId,
                ["server_id"] = a.InstanceUuid,
                ["host_name"] = isAdmin ? a.AttachedHost : null,
                ["device"] = a.Mountpoint,
                ["attached_at"] = TimeNode(a.AttachTime),
            });
        return list;
    }

    public static JsonObject Map(IReadOnlyDictionary<string, string> values)
    {
        var o = new JsonObject();
        foreach (var (k, val) in values) o[k] = val;
        return o;
    }
}
