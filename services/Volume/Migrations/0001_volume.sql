-- The volume service's own database (cinder): volume types, volumes with their metadata and
-- attachments, snapshots, backups, groups, and per-project quota overrides. Modelled on cinder's
-- models; rows of volumes, snapshots, backups and groups are soft-deleted (deleted = 1) as
-- cinder's are, so what a project uses is what is not deleted. Usage is counted from these
-- tables, not kept in a table of its own.

CREATE TABLE IF NOT EXISTS volume_types (
    id VARCHAR(36) NOT NULL,
    name VARCHAR(255) NOT NULL,
    description VARCHAR(255) NULL,
    qos_specs_id VARCHAR(36) NULL,
    is_public TINYINT(1) NOT NULL DEFAULT 1,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NULL,
    deleted_at DATETIME(6) NULL,
    deleted TINYINT(1) NOT NULL DEFAULT 0,
    PRIMARY KEY (id),
    KEY volume_types_deleted_name_idx (deleted, name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS volume_type_extra_specs (
    volume_type_id VARCHAR(36) NOT NULL,
    spec_key VARCHAR(255) NOT NULL,
    spec_value VARCHAR(255) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NULL,
    PRIMARY KEY (volume_type_id, spec_key),
    CONSTRAINT fk_extra_specs_volume_type FOREIGN KEY (volume_type_id) REFERENCES volume_types (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Which projects may use a private volume type.
CREATE TABLE IF NOT EXISTS volume_type_projects (
    volume_type_id VARCHAR(36) NOT NULL,
    project_id VARCHAR(255) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (volume_type_id, project_id),
    KEY volume_type_projects_project_idx (project_id),
    CONSTRAINT fk_volume_type_projects_type FOREIGN KEY (volume_type_id) REFERENCES volume_types (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- cinder's default type, made by its first migration: a volume created without a type gets it.
INSERT INTO volume_types (id, name, description, is_public, created_at, updated_at, deleted)
SELECT UUID(), '__DEFAULT__', 'Default Volume Type', 1, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), 0 FROM DUAL
WHERE NOT EXISTS (SELECT 1 FROM volume_types WHERE name = '__DEFAULT__' AND deleted = 0);

CREATE TABLE IF NOT EXISTS `groups` (
    id VARCHAR(36) NOT NULL,
    project_id VARCHAR(255) NOT NULL,
    user_id VARCHAR(255) NOT NULL,
    host VARCHAR(255) NULL,
    cluster_name VARCHAR(255) NULL,
    availability_zone VARCHAR(255) NULL,
    name VARCHAR(255) NULL,
    description VARCHAR(255) NULL,
    status VARCHAR(255) NULL,
    group_type_id VARCHAR(36) NULL,
    group_snapshot_id VARCHAR(36) NULL,
    source_group_id VARCHAR(36) NULL,
    replication_status VARCHAR(255) NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NULL,
    deleted_at DATETIME(6) NULL,
    deleted TINYINT(1) NOT NULL DEFAULT 0,
    PRIMARY KEY (id),
    KEY groups_project_deleted_idx (project_id, deleted)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS volumes (
    id VARCHAR(36) NOT NULL,
    -- The id the backend knows the volume by, when a migration left it another one (cinder's _name_id).
    name_id VARCHAR(36) NULL,
    project_id VARCHAR(255) NOT NULL,
    user_id VARCHAR(255) NOT NULL,
    size INT NOT NULL,
    status VARCHAR(255) NOT NULL,
    previous_status VARCHAR(255) NULL,
    attach_status VARCHAR(255) NOT NULL DEFAULT 'detached',
    migration_status VARCHAR(255) NULL,
    display_name VARCHAR(255) NULL,
    display_description VARCHAR(255) NULL,
    availability_zone VARCHAR(255) NULL,
    volume_type_id VARCHAR(36) NOT NULL,
    host VARCHAR(255) NULL,
    cluster_name VARCHAR(255) NULL,
    service_uuid VARCHAR(36) NULL,
    snapshot_id VARCHAR(36) NULL,
    source_volid VARCHAR(36) NULL,
    group_id VARCHAR(36) NULL,
    encryption_key_id VARCHAR(36) NULL,
    bootable TINYINT(1) NOT NULL DEFAULT 0,
    multiattach TINYINT(1) NOT NULL DEFAULT 0,
    shared_targets TINYINT(1) NULL DEFAULT 1,
    -- 0 for volumes that are not the project's own (a migration's target, a temporary volume):
    -- they do not count against its quota.
    use_quota TINYINT(1) NOT NULL DEFAULT 1,
    provider_location VARCHAR(256) NULL,
    provider_auth VARCHAR(256) NULL,
    provider_geometry VARCHAR(255) NULL,
    provider_id VARCHAR(255) NULL,
    replication_status VARCHAR(255) NULL,
    scheduled_at DATETIME(6) NULL,
    launched_at DATETIME(6) NULL,
    terminated_at DATETIME(6) NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NULL,
    deleted_at DATETIME(6) NULL,
    deleted TINYINT(1) NOT NULL DEFAULT 0,
    PRIMARY KEY (id),
    KEY volumes_project_deleted_idx (project_id, deleted),
    KEY volumes_type_idx (volume_type_id),
    KEY volumes_host_idx (deleted, host),
    KEY volumes_group_idx (group_id),
    KEY volumes_created_idx (created_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS volume_metadata (
    volume_id VARCHAR(36) NOT NULL,
    meta_key VARCHAR(255) NOT NULL,
    meta_value VARCHAR(255) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NULL,
    PRIMARY KEY (volume_id, meta_key),
    CONSTRAINT fk_volume_metadata_volume FOREIGN KEY (volume_id) REFERENCES volumes (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- What only admins see and set (readonly, attached_mode, temporary, ...).
CREATE TABLE IF NOT EXISTS volume_admin_metadata (
    volume_id VARCHAR(36) NOT NULL,
    meta_key VARCHAR(255) NOT NULL,
    meta_value VARCHAR(255) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NULL,
    PRIMARY KEY (volume_id, meta_key),
    CONSTRAINT fk_volume_admin_metadata_volume FOREIGN KEY (volume_id) REFERENCES volumes (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The image a bootable volume was made from (its properties), as cinder copies it from glance.
CREATE TABLE IF NOT EXISTS volume_glance_metadata (
    id INT NOT NULL AUTO_INCREMENT,
    volume_id VARCHAR(36) NULL,
    snapshot_id VARCHAR(36) NULL,
    meta_key VARCHAR(255) NOT NULL,
    meta_value TEXT NOT NULL,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    KEY volume_glance_metadata_volume_idx (volume_id),
    KEY volume_glance_metadata_snapshot_idx (snapshot_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS volume_attachment (
    id VARCHAR(36) NOT NULL,
    volume_id VARCHAR(36) NOT NULL,
    instance_uuid VARCHAR(36) NULL,
    attached_host VARCHAR(255) NULL,
    mountpoint VARCHAR(255) NULL,
    attach_time DATETIME(6) NULL,
    detach_time DATETIME(6) NULL,
    attach_status VARCHAR(255) NULL,
    attach_mode VARCHAR(36) NULL,
    connection_info TEXT NULL,
    connector TEXT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NULL,
    deleted_at DATETIME(6) NULL,
    deleted TINYINT(1) NOT NULL DEFAULT 0,
    PRIMARY KEY (id),
    KEY volume_attachment_volume_idx (volume_id, deleted),
    KEY volume_attachment_instance_idx (instance_uuid),
    CONSTRAINT fk_volume_attachment_volume FOREIGN KEY (volume_id) REFERENCES volumes (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS snapshots (
    id VARCHAR(36) NOT NULL,
    volume_id VARCHAR(36) NOT NULL,
    project_id VARCHAR(255) NOT NULL,
    user_id VARCHAR(255) NOT NULL,
    status VARCHAR(255) NOT NULL,
    progress VARCHAR(255) NULL,
    -- The size of the volume when the snapshot was taken: what it counts against gigabytes.
    volume_size INT NOT NULL,
    volume_type_id VARCHAR(36) NOT NULL,
    display_name VARCHAR(255) NULL,
    display_description VARCHAR(255) NULL,
    encryption_key_id VARCHAR(36) NULL,
    group_snapshot_id VARCHAR(36) NULL,
    use_quota TINYINT(1) NOT NULL DEFAULT 1,
    provider_location VARCHAR(255) NULL,
    provider_id VARCHAR(255) NULL,
    provider_auth VARCHAR(255) NULL,
    scheduled_at DATETIME(6) NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NULL,
    deleted_at DATETIME(6) NULL,
    deleted TINYINT(1) NOT NULL DEFAULT 0,
    PRIMARY KEY (id),
    KEY snapshots_project_deleted_idx (project_id, deleted),
    KEY snapshots_volume_idx (volume_id),
    KEY snapshots_created_idx (created_at, id),
    CONSTRAINT fk_snapshots_volume FOREIGN KEY (volume_id) REFERENCES volumes (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS snapshot_metadata (
    snapshot_id VARCHAR(36) NOT NULL,
    meta_key VARCHAR(255) NOT NULL,
    meta_value VARCHAR(255) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NULL,
    PRIMARY KEY (snapshot_id, meta_key),
    CONSTRAINT fk_snapshot_metadata_snapshot FOREIGN KEY (snapshot_id) REFERENCES snapshots (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS backups (
    id VARCHAR(36) NOT NULL,
    project_id VARCHAR(255) NOT NULL,
    user_id VARCHAR(255) NOT NULL,
    volume_id VARCHAR(36) NOT NULL,
    snapshot_id VARCHAR(36) NULL,
    parent_id VARCHAR(36) NULL,
    host VARCHAR(255) NULL,
    availability_zone VARCHAR(255) NULL,
    display_name VARCHAR(255) NULL,
    display_description VARCHAR(255) NULL,
    container VARCHAR(255) NULL,
    status VARCHAR(255) NOT NULL,
    fail_reason VARCHAR(255) NULL,
    service_metadata VARCHAR(255) NULL,
    service VARCHAR(255) NULL,
    size INT NOT NULL DEFAULT 0,
    object_count INT NULL,
    num_dependent_backups INT NOT NULL DEFAULT 0,
    temp_volume_id VARCHAR(36) NULL,
    temp_snapshot_id VARCHAR(36) NULL,
    restore_volume_id VARCHAR(36) NULL,
    encryption_key_id VARCHAR(36) NULL,
    data_timestamp DATETIME(6) NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NULL,
    deleted_at DATETIME(6) NULL,
    deleted TINYINT(1) NOT NULL DEFAULT 0,
    PRIMARY KEY (id),
    KEY backups_project_deleted_idx (project_id, deleted),
    KEY backups_volume_idx (volume_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Per-project limits that differ from the configured defaults ([DEFAULT] quota_*): one row per
-- resource, per-type resources (volumes_<type>, ...) named as cinder names them.
CREATE TABLE IF NOT EXISTS quotas (
    project_id VARCHAR(255) NOT NULL,
    resource VARCHAR(300) NOT NULL,
    hard_limit INT NOT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NULL,
    PRIMARY KEY (project_id, resource)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Rows locked FOR UPDATE by whatever counts a project's usage against its limits (a quota
-- change now, creates later): a project always takes the same one (a stable hash of its id),
-- so two of them for one project run one after the other. The rows exist from the start, so
-- taking one never inserts (no gap locks).
CREATE TABLE IF NOT EXISTS quota_locks (
    bucket INT NOT NULL,
    PRIMARY KEY (bucket)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
INSERT IGNORE INTO quota_locks (bucket) VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9),(10),(11),(12),(13),(14),(15),(16),(17),(18),(19),(20),(21),(22),(23),(24),(25),(26),(27),(28),(29),(30),(31),(32),(33),(34),(35),(36),(37),(38),(39),(40),(41),(42),(43),(44),(45),(46),(47),(48),(49),(50),(51),(52),(53),(54),(55),(56),(57),(58),(59),(60),(61),(62),(63);
