-- The compute database (nova's cell database, reduced to what this fleet keeps). Blobs nova keeps
-- as JSON text (flavor, metadata, network_info, security_groups, tags) are JSON text here too;
-- what is searched or must be unique has its own columns and keys.
CREATE TABLE IF NOT EXISTS instances (
    uuid VARCHAR(36) NOT NULL PRIMARY KEY,
    version BIGINT NOT NULL,
    project_id VARCHAR(64) NOT NULL,
    user_id VARCHAR(64) NULL,
    display_name VARCHAR(255) NULL,
    display_description TEXT NULL,
    hostname VARCHAR(255) NULL,
    vm_state VARCHAR(255) NOT NULL,
    task_state VARCHAR(255) NULL,
    power_state INT NOT NULL DEFAULT 0,
    host VARCHAR(255) NULL,
    node VARCHAR(255) NULL,
    availability_zone VARCHAR(255) NULL,
    flavor TEXT NOT NULL,
    image_ref VARCHAR(255) NULL,
    key_name VARCHAR(255) NULL,
    key_data MEDIUMTEXT NULL,
    user_data MEDIUMTEXT NULL,
    metadata TEXT NOT NULL,
    network_info MEDIUMTEXT NOT NULL,
    security_groups TEXT NOT NULL,
    tags TEXT NOT NULL,
    locked BOOLEAN NOT NULL DEFAULT FALSE,
    locked_by VARCHAR(16) NULL,
    locked_reason VARCHAR(255) NULL,
    launch_index INT NOT NULL DEFAULT 0,
    reservation_id VARCHAR(255) NULL,
    config_drive BOOLEAN NOT NULL DEFAULT FALSE,
    access_ip_v4 VARCHAR(39) NULL,
    access_ip_v6 VARCHAR(39) NULL,
    progress INT NOT NULL DEFAULT 0,
    -- The newest row of instance_faults, kept here so reading an instance is one row.
    fault TEXT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NULL,
    launched_at DATETIME(6) NULL,
    terminated_at DATETIME(6) NULL,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    deleted_at DATETIME(6) NULL,
    KEY ix_instances_host (host, deleted),
    KEY ix_instances_project (project_id, deleted)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The build as the compute API asked for it, the hosts the scheduler offered, and the tries so far.
CREATE TABLE IF NOT EXISTS request_specs (
    instance_uuid VARCHAR(36) NOT NULL PRIMARY KEY,
    -- The server group the instance was built in: its members' hosts are the group policy's input.
    instance_group VARCHAR(36) NULL,
    spec MEDIUMTEXT NOT NULL,
    selections MEDIUMTEXT NULL,
    tried_hosts TEXT NOT NULL,
    attempts INT NOT NULL DEFAULT 0,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NULL,
    KEY ix_request_specs_group (instance_group)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS instance_faults (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    instance_uuid VARCHAR(36) NOT NULL,
    code INT NOT NULL,
    message VARCHAR(255) NOT NULL,
    details MEDIUMTEXT NULL,
    host VARCHAR(255) NULL,
    created_at DATETIME(6) NOT NULL,
    KEY ix_instance_faults_instance (instance_uuid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS instance_actions (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    action VARCHAR(255) NOT NULL,
    instance_uuid VARCHAR(36) NOT NULL,
    request_id VARCHAR(255) NOT NULL,
    user_id VARCHAR(255) NULL,
    project_id VARCHAR(255) NULL,
    start_time DATETIME(6) NOT NULL,
    finish_time DATETIME(6) NULL,
    message VARCHAR(255) NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NULL,
    UNIQUE KEY ux_instance_actions_request (instance_uuid, request_id, action)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS instance_actions_events (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    action_id BIGINT NOT NULL,
    event VARCHAR(255) NOT NULL,
    start_time DATETIME(6) NOT NULL,
    finish_time DATETIME(6) NULL,
    result VARCHAR(255) NULL,
    traceback TEXT NULL,
    host VARCHAR(255) NULL,
    details TEXT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NULL,
    KEY ix_instance_actions_events_action (action_id, event)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS services (
    id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    uuid VARCHAR(36) NOT NULL,
    host VARCHAR(255) NOT NULL,
    `binary` VARCHAR(255) NOT NULL,
    topic VARCHAR(255) NULL,
    availability_zone VARCHAR(255) NULL,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    disabled_reason VARCHAR(255) NULL,
    forced_down BOOLEAN NOT NULL DEFAULT FALSE,
    last_seen_up DATETIME(6) NULL,
    report_count INT NOT NULL DEFAULT 0,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NULL,
    UNIQUE KEY ux_services_uuid (uuid),
    UNIQUE KEY ux_services_host_binary (host, `binary`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per server group: scheduling into a group holds its row, so two builds in one
-- anti-affinity group never read the members' hosts before either has recorded its own.
CREATE TABLE IF NOT EXISTS instance_group_locks (
    group_uuid VARCHAR(36) NOT NULL PRIMARY KEY
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Instances deleted before their build message arrived: the build drops them.
CREATE TABLE IF NOT EXISTS instance_tombstones (
    uuid VARCHAR(36) NOT NULL PRIMARY KEY,
    created_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
