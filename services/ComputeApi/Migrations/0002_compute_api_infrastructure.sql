-- Server groups and host aggregates (the infrastructure half of the compute API's database).
--
-- Read by the servers part (through ServerGroups/ServerGroupLookup.cs):
--   instance_groups(uuid, name, project_id, user_id, policy, rules, created_at, updated_at)
--     policy: affinity | anti-affinity | soft-affinity | soft-anti-affinity
--     rules:  JSON object, {"max_server_per_host": N} for anti-affinity from 2.64, else {}
--   instance_group_members(group_uuid, instance_uuid, created_at)
--     an instance is in at most one group (unique instance_uuid).
--
-- Aggregates are pushed whole to placement (PutAggregate) after every change; pushed_at lags
-- changed_at while a push is owed, so a later change or the start-up reconciliation retries it.
-- A deleted aggregate stays (deleted = TRUE) until placement has been told (DeleteAggregate).
-- The aggregate's zone is the availability_zone column; aggregate_metadata holds the other keys.
CREATE TABLE IF NOT EXISTS instance_groups (
    uuid VARCHAR(36) NOT NULL PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    project_id VARCHAR(255) NOT NULL,
    user_id VARCHAR(255) NOT NULL,
    policy VARCHAR(32) NOT NULL,
    rules TEXT NOT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NULL,
    KEY ix_instance_groups_project (project_id, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS instance_group_members (
    group_uuid VARCHAR(36) NOT NULL,
    instance_uuid VARCHAR(36) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (group_uuid, instance_uuid),
    UNIQUE KEY ux_instance_group_members_instance (instance_uuid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS aggregates (
    id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    uuid VARCHAR(36) NOT NULL,
    name VARCHAR(255) NOT NULL,
    -- Set while the aggregate lives; NULL once deleted, so a deleted name can be used again.
    live_name VARCHAR(255) NULL,
    availability_zone VARCHAR(255) NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NULL,
    deleted_at DATETIME(6) NULL,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    changed_at DATETIME(6) NOT NULL,
    pushed_at DATETIME(6) NULL,
    UNIQUE KEY ux_aggregates_uuid (uuid),
    UNIQUE KEY ux_aggregates_live_name (live_name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS aggregate_hosts (
    aggregate_id INT NOT NULL,
    host VARCHAR(255) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (aggregate_id, host),
    KEY ix_aggregate_hosts_host (host)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS aggregate_metadata (
    aggregate_id INT NOT NULL,
    `key` VARCHAR(255) NOT NULL,
    value VARCHAR(255) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (aggregate_id, `key`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
