using Platform.Auth.Policy;

namespace Image.Common;

/// <summary>
/// glance's default rules: readers of a project read its images and those shared with it or
/// public; members change their project's images; only an admin makes an image public. The
/// target carries <c>project_id</c> (the image's owner), <c>member_id</c>, <c>owner</c> and
/// <c>visibility</c>, as glance's policy target does.
/// </summary>
public static class ImagePolicy
{
    private const string ProjectMember = "role:member and project_id:%(project_id)s";
    private const string ProjectReader = "role:reader and project_id:%(project_id)s";
    private const string Visible = "project_id:%(project_id)s or project_id:%(member_id)s or 'community':%(visibility)s or 'public':%(visibility)s or 'shared':%(visibility)s";
    private const string AdminOrProjectMember = $"role:admin or ({ProjectMember})";

    public static void Defaults(PolicyDefaultsBuilder p)
    {
        p.Add("context_is_admin", "role:admin");
        p.Add("default", "role:admin");
        p.Add("add_image", $"role:admin or ({ProjectMember} and project_id:%(owner)s)");
        p.Add("delete_image", AdminOrProjectMember);
        p.Add("get_image", $"role:admin or (role:reader and ({Visible}))");
        p.Add("get_images", $"role:admin or ({ProjectReader})");
        p.Add("modify_image", AdminOrProjectMember);
        p.Add("publicize_image", "role:admin");
        p.Add("communitize_image", AdminOrProjectMember);
        p.Add("download_image", $"role:admin or (role:member and ({Visible}))");
        p.Add("upload_image", AdminOrProjectMember);
        p.Add("add_member", AdminOrProjectMember);
        p.Add("delete_member", AdminOrProjectMember);
        p.Add("get_member", $"role:admin or (role:reader and (project_id:%(project_id)s or project_id:%(member_id)s))");
        p.Add("get_members", $"role:admin or (role:reader and (project_id:%(project_id)s or project_id:%(member_id)s))");
        p.Add("modify_member", "role:admin or (role:member and project_id:%(member_id)s)");
        p.Add("deactivate", AdminOrProjectMember);
        p.Add("reactivate", AdminOrProjectMember);
    }
}
