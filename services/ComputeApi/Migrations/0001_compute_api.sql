-- The compute API's own database (nova_api): flavors, keypairs, quotas, build requests, and the
-- read model of instances the conductor's events keep current.
CREATE TABLE IF NOT EXISTS flavors (
    internal_id INT NOT NULL AUTO_INCREMENT,
    flavorid VARCHAR(255) NOT NULL,
    name VARCHAR(255) NOT NULL,
    vcpus INT NOT NULL,
    memory_mb INT NOT NULL,
    root_gb INT NOT NULL DEFAULT 0,
    ephemeral_gb INT NOT NULL DEFAULT 0,
    swap INT NOT NULL DEFAULT 0,
    rxtx_factor FLOAT NOT NULL DEFAULT 1,
    is_public TINYINT(1) NOT NULL DEFAULT 1,
    disabled TINYINT(1) NOT NULL DEFAULT 0,
    description TEXT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NULL,
    PRIMARY KEY (internal_id),
    UNIQUE KEY uniq_flavors0flavorid (flavorid),
    UNIQUE KEY uniq_flavors0name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS flavor_extra_specs (
    flavor_internal_id INT NOT NULL,
    spec_key VARCHAR(255) NOT NULL,
    spec_value VARCHAR(255) NOT NULL,
    PRIMARY KEY (flavor_internal_id, spec_key),
    CONSTRAINT fk_extra_specs_flavor FOREIGN KEY (flavor_internal_id) REFERENCES flavors (internal_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS flavor_projects (
    flavor_internal_id INT NOT NULL,
    project_id VARCHAR(255) NOT NULL,
    PRIMARY KEY (flavor_internal_id, project_id),
    KEY flavor_projects_project_idx (project_id),
    CONSTRAINT fk_flavor_projects_flavor FOREIGN KEY (flavor_internal_id) REFERENCES flavors (internal_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS key_pairs (
    id INT NOT NULL AUTO_INCREMENT,
    user_id VARCHAR(255) NOT NULL,
    name VARCHAR(255) NOT NULL,
    type VARCHAR(16) NOT NULL DEFAULT 'ssh',
    public_key TEXT NOT NULL,
    fingerprint VARCHAR(255) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uniq_key_pairs0user_id0name (user_id, name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Per-project limits that differ from the configured defaults.
CREATE TABLE IF NOT EXISTS quotas (
    project_id VARCHAR(255) NOT NULL,
    resource VARCHAR(255) NOT NULL,
    hard_limit INT NOT NULL,
    PRIMARY KEY (project_id, resource)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Rows locked FOR UPDATE by every create that counts against quotas: a project always takes
-- the same one (a stable hash of its id), so two creates of one project are counted one after
-- the other. The rows exist from the start, so taking one never inserts (no gap locks).
CREATE TABLE IF NOT EXISTS quota_locks (
    bucket INT NOT NULL,
    PRIMARY KEY (bucket)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
INSERT IGNORE INTO quota_locks (bucket) VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9),(10),(11),(12),(13),(14),(15),(16),(17),(18),(19),(20),(21),(22),(23),(24),(25),(26),(27),(28),(29),(30),(31),(32),(33),(34),(35),(36),(37),(38),(39),(40),(41),(42),(43),(44),(45),(46),(47),(48),(49),(50),(51),(52),(53),(54),(55),(56),(57),(58),(59),(60),(61),(62),(63),(64),(65),(66),(67),(68),(69),(70),(71),(72),(73),(74),(75),(76),(77),(78),(79),(80),(81),(82),(83),(84),(85),(86),(87),(88),(89),(90),(91),(92),(93),(94),(95),(96),(97),(98),(99),(100),(101),(102),(103),(104),(105),(106),(107),(108),(109),(110),(111),(112),(113),(114),(115),(116),(117),(118),(119),(120),(121),(122),(123),(124),(125),(126),(127),(128),(129),(130),(131),(132),(133),(134),(135),(136),(137),(138),(139),(140),(141),(142),(143),(144),(145),(146),(147),(148),(149),(150),(151),(152),(153),(154),(155),(156),(157),(158),(159),(160),(161),(162),(163),(164),(165),(166),(167),(168),(169),(170),(171),(172),(173),(174),(175),(176),(177),(178),(179),(180),(181),(182),(183),(184),(185),(186),(187),(188),(189),(190),(191),(192),(193),(194),(195),(196),(197),(198),(199),(200),(201),(202),(203),(204),(205),(206),(207),(208),(209),(210),(211),(212),(213),(214),(215),(216),(217),(218),(219),(220),(221),(222),(223),(224),(225),(226),(227),(228),(229),(230),(231),(232),(233),(234),(235),(236),(237),(238),(239),(240),(241),(242),(243),(244),(245),(246),(247),(248),(249),(250),(251),(252),(253),(254),(255);

-- Accepted creates whose instances the conductor has not reported yet.
CREATE TABLE IF NOT EXISTS build_requests (
    instance_uuid VARCHAR(36) NOT NULL,
    project_id VARCHAR(255) NOT NULL,
    request_spec LONGTEXT NOT NULL,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (instance_uuid),
    KEY build_requests_project_idx (project_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The read model: the newest version of each instance the API has seen (version 0 is its own
-- row from the create). Filter columns are kept apart; the whole instance is in data.
CREATE TABLE IF NOT EXISTS instances (
    uuid VARCHAR(36) NOT NULL,
    version BIGINT NOT NULL,
    project_id VARCHAR(255) NOT NULL,
    user_id VARCHAR(255) NULL,
    display_name VARCHAR(255) NULL,
    vm_state VARCHAR(255) NOT NULL,
    task_state VARCHAR(255) NULL,
    power_state INT NOT NULL DEFAULT 0,
    host VARCHAR(255) NULL,
    node VARCHAR(255) NULL,
    availability_zone VARCHAR(255) NULL,
    flavor_id VARCHAR(255) NULL,
    vcpus INT NOT NULL DEFAULT 0,
    memory_mb INT NOT NULL DEFAULT 0,
    image_ref VARCHAR(255) NULL,
    key_name VARCHAR(255) NULL,
    reservation_id VARCHAR(255) NULL,
    locked TINYINT(1) NOT NULL DEFAULT 0,
    ips TEXT NULL,
    tags TEXT NULL,
    data LONGTEXT NOT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NULL,
    launched_at DATETIME(6) NULL,
    terminated_at DATETIME(6) NULL,
    deleted TINYINT(1) NOT NULL DEFAULT 0,
    deleted_at DATETIME(6) NULL,
    PRIMARY KEY (uuid),
    KEY instances_project_deleted_created_idx (project_id, deleted, created_at),
    KEY instances_deleted_created_idx (deleted, created_at),
    KEY instances_host_idx (host),
    KEY instances_updated_idx (updated_at),
    KEY instances_name_idx (display_name),
    KEY instances_vm_state_idx (vm_state),
    KEY instances_flavor_idx (flavor_id),
    KEY instances_image_idx (image_ref),
    KEY instances_reservation_idx (reservation_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
