-- The volume service's own processes, as cinder's services table has them: each scheduler
-- (binary cinder-scheduler, host <host>) and each backend worker (binary cinder-volume, host
-- <host>@<backend>) keeps its row current with a heartbeat (updated_at, report_count). A backend
-- also writes what it last measured of its storage (capabilities, JSON): the scheduler places
-- volumes from it, and an operator reads it with `openstack volume service list` and
-- `openstack volume backend pool list`.
CREATE TABLE IF NOT EXISTS services (
    id INT NOT NULL AUTO_INCREMENT,
    uuid VARCHAR(36) NOT NULL,
    host VARCHAR(255) NOT NULL,
    `binary` VARCHAR(255) NOT NULL,
    topic VARCHAR(255) NOT NULL,
    report_count INT NOT NULL DEFAULT 0,
    disabled TINYINT(1) NOT NULL DEFAULT 0,
    disabled_reason VARCHAR(255) NULL,
    availability_zone VARCHAR(255) NOT NULL,
    capabilities TEXT NULL,
    frozen TINYINT(1) NOT NULL DEFAULT 0,
    cluster_name VARCHAR(255) NULL,
    replication_status VARCHAR(36) NULL,
    active_backend_id VARCHAR(255) NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NULL,
    modified_at DATETIME(6) NULL,
    PRIMARY KEY (id),
    UNIQUE KEY services_binary_host_idx (`binary`, host)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
