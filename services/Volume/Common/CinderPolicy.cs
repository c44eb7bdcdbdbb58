using Platform.Auth.Policy;

namespace Volume.Common;

/// <summary>
/// cinder's default rules as Zed ships them: readers of a project read it, admins alone change
/// quotas. Rule names are cinder's, so an operator's policy.yaml overrides them as in cinder.
/// </summary>
public static class CinderPolicy
{
    public static void Defaults(PolicyDefaultsBuilder builder)
    {
        builder.Add("context_is_admin", "role:admin", "Decides what is required for the 'is_admin:True' check to succeed.");
        // cinder adds "and is_admin_project:True", a notion our tokens do not carry; an admin is an admin, as in nova here.
        builder.Add("admin_api", "role:admin", "Default rule for most Admin APIs.");
        builder.Add("xena_system_admin_or_project_reader", "(role:admin) or (role:reader and project_id:%(project_id)s)");
        builder.Add("xena_system_admin_or_project_member", "(role:admin) or (role:member and project_id:%(project_id)s)");

        // Volumes, their metadata and actions (cinder/policies/volumes.py, volume_actions.py, volume_metadata.py).
        const string Member = "rule:xena_system_admin_or_project_member";
        const string Reader = "rule:xena_system_admin_or_project_reader";
        builder.Add("volume:create", Member, "Create volume.");
        builder.Add("volume:create_from_image", Member, "Create volume from image.");
        builder.Add("volume:get", Reader, "Show volume.");
        builder.Add("volume:get_all", Reader, "List volumes or summaries.");
        builder.Add("volume:update", Member, "Update volume or volume's metadata.");
        builder.Add("volume:delete", Member, "Delete volume.");
        builder.Add("volume:force_delete", "rule:admin_api", "Force Delete a volume.");
        builder.Add("volume_extension:volume_host_attribute", "rule:admin_api", "List or show volume with host attribute.");
        builder.Add("volume_extension:volume_tenant_attribute", Reader, "List or show volume with tenant attribute.");
        builder.Add("volume_extension:volume_mig_status_attribute", "rule:admin_api", "List or show volume with migration status attribute.");
        builder.Add("volume:get_volume_metadata", Reader, "Show volume's metadata or one specified metadata with a given key.");
        builder.Add("volume:create_volume_metadata", Member, "Create volume metadata.");
        builder.Add("volume:update_volume_metadata", Member, "Replace a volume's metadata dictionary or update a single metadatum with a given key.");
        builder.Add("volume:delete_volume_metadata", Member, "Delete a volume's metadatum with the given key.");
        builder.Add("volume_extension:volume_image_metadata:show", Reader, "Include a volume's image metadata in volume detail responses.");
        builder.Add("volume_extension:volume_image_metadata:set", Member, "Set image metadata for a volume.");
        builder.Add("volume_extension:volume_image_metadata:remove", Member, "Remove specific image metadata from a volume.");
        builder.Add("volume:extend", Member, "Extend a volume.");
        builder.Add("volume:extend_attached_volume", Member, "Extend a attached volume.");
        builder.Add("volume:update_readonly_flag", Member, "Update volume read-only status.");
        builder.Add("volume_extension:volume_admin_actions:reset_status", "rule:admin_api", "Reset status of a volume.");
        builder.Add("volume_extension:volume_admin_actions:force_delete", "rule:admin_api", "Force delete a volume.");
        builder.Add("volume_extension:volume_admin_actions:force_detach", "rule:admin_api", "Force detach a volume.");
        builder.Add("volume_extension:volume_actions:initialize_connection", Member, "Initialize volume attachment.");
        builder.Add("volume_extension:volume_actions:terminate_connection", Member, "Terminate volume attachment.");
        builder.Add("volume_extension:volume_actions:roll_detaching", Member, "Roll back volume status to 'in-use'.");
        builder.Add("volume_extension:volume_actions:reserve", Member, "Mark volume as reserved.");
        builder.Add("volume_extension:volume_actions:unreserve", Member, "Unmark volume as reserved.");
        builder.Add("volume_extension:volume_actions:begin_detaching", Member, "Begin detach volumes.");
        builder.Add("volume_extension:volume_actions:attach", Member, "Add attachment metadata.");
        builder.Add("volume_extension:volume_actions:detach", Member, "Clear attachment metadata.");
        // Snapshots, attachments, services (cinder/policies/snapshots.py, attachments.py, services.py).
        builder.Add("volume:get_snapshot", Reader, "Show snapshot.");
        builder.Add("volume:get_all_snapshots", Reader, "List snapshots.");
        builder.Add("volume:create_snapshot", Member, "Create snapshot.");
        builder.Add("volume:update_snapshot", Member, "Update snapshot.");
        builder.Add("volume:delete_snapshot", Member, "Delete snapshot.");
        builder.Add("volume_extension:extended_snapshot_attributes", Reader, "List or show snapshots with extended attributes.");
        builder.Add("volume_extension:snapshot_admin_actions:reset_status", "rule:admin_api", "Reset status of a snapshot.");
        builder.Add("volume:get_snapshot_metadata", Reader, "Show snapshot's metadata or one specified metadata with a given key.");
        builder.Add("volume:update_snapshot_metadata", Member, "Update snapshot's metadata or one specified metadata with a given key.");
        builder.Add("volume:delete_snapshot_metadata", Member, "Delete snapshot's specified metadata with a given key.");
        builder.Add("volume:attachment_create", Member, "Create attachment.");
        builder.Add("volume:attachment_update", Member, "Update attachment.");
        builder.Add("volume:attachment_delete", Member, "Delete attachment.");
        builder.Add("volume:attachment_complete", Member, "Mark a volume attachment process as completed (in-use)");
        builder.Add("volume_extension:services:index", "rule:admin_api", "List all services.");
        builder.Add("volume_extension:services:update", "rule:admin_api", "Update service, including failover_host, thaw, freeze, disable, enable, set-log and get-log actions.");
        builder.Add("volume_extension:availability_zone_list", "", "List availability zones.");
        // Volume types, their extra specs and access (cinder/policies/volume_type.py, type_extra_specs.py, volume_access.py).
        builder.Add("volume_extension:types_manage", "rule:admin_api", "Manage volume types.");
        builder.Add("volume_extension:type_create", "rule:admin_api", "Create volume type.");
        builder.Add("volume_extension:type_update", "rule:admin_api", "Update volume type.");
        builder.Add("volume_extension:type_delete", "rule:admin_api", "Delete volume type.");
        builder.Add("volume_extension:type_get", Reader, "Get one specific volume type.");
        builder.Add("volume_extension:type_get_all", Reader, "List volume types.");
        builder.Add("volume_extension:access_types_extra_specs", Reader, "Include the volume type's extra_specs attribute in the volume type list or show requests.");
        builder.Add("volume_extension:access_types_qos_specs_id", "rule:admin_api", "Include the volume type's QoS specifications ID attribute in the volume type list or show requests.");
        builder.Add("volume_extension:types_extra_specs:index", Reader, "List type extra specs.");
        builder.Add("volume_extension:types_extra_specs:show", Reader, "Show one specified type extra specs.");
        builder.Add("volume_extension:types_extra_specs:create", "rule:admin_api", "Create type extra specs.");
        builder.Add("volume_extension:types_extra_specs:update", "rule:admin_api", "Update type extra specs.");
        builder.Add("volume_extension:types_extra_specs:delete", "rule:admin_api", "Delete type extra specs.");
        builder.Add("volume_extension:types_extra_specs:read_sensitive", "rule:admin_api", "Include extra_specs fields that may reveal sensitive information about the deployment.");
        builder.Add("volume_extension:volume_type_access", Member, "Volume type access related APIs.");
        builder.Add("volume_extension:volume_type_access:addProjectAccess", "rule:admin_api", "Add volume type access for project.");
        builder.Add("volume_extension:volume_type_access:removeProjectAccess", "rule:admin_api", "Remove volume type access for project.");
        builder.Add("volume_extension:volume_type_access:get_all_for_type", "rule:admin_api", "List private volume type access detail, that is, list of projects that have access to this volume type.");
        builder.Add("scheduler_extension:scheduler_stats:get_pools", "rule:admin_api", "List all backend pools.");

        builder.Add("volume_extension:quotas:show", "rule:xena_system_admin_or_project_reader", "Show project quota (including usage and default).");
        builder.Add("volume_extension:quotas:update", "rule:admin_api", "Update project quota.");
        builder.Add("volume_extension:quotas:delete", "rule:admin_api", "Delete project quota.");
        builder.Add("limits_extension:used_limits", "rule:xena_system_admin_or_project_reader", "Show limits with used limit attributes.");
    }
}
