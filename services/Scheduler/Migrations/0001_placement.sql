-- Placement: resource providers (compute nodes), what they hold (inventories), what is taken
-- (allocations by consumers), traits and aggregates, and the compute host state the scheduler's
-- filters read. A provider's generation grows on every change to its inventories or
-- allocations; writers compare-and-set it, so two schedulers never overcommit one provider.
-- updated_at on resource_providers moves on any change that touches the provider (claims,
-- reports, status, aggregates): the schedulers' in-memory views refresh by it.
CREATE TABLE IF NOT EXISTS resource_providers (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    uuid VARCHAR(36) NOT NULL,
    name VARCHAR(255) NOT NULL,
    generation BIGINT NOT NULL DEFAULT 0,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    UNIQUE KEY uq_resource_providers_uuid (uuid),
    KEY ix_resource_providers_updated_at (updated_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS inventories (
    resource_provider_id BIGINT NOT NULL,
    resource_class VARCHAR(255) NOT NULL,
    total BIGINT NOT NULL,
    reserved BIGINT NOT NULL DEFAULT 0,
    min_unit BIGINT NOT NULL DEFAULT 1,
    max_unit BIGINT NOT NULL,
    step_size BIGINT NOT NULL DEFAULT 1,
    allocation_ratio DOUBLE NOT NULL DEFAULT 1,
    PRIMARY KEY (resource_provider_id, resource_class),
    CONSTRAINT fk_inventories_provider FOREIGN KEY (resource_provider_id) REFERENCES resource_providers (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS consumers (
    uuid VARCHAR(36) NOT NULL PRIMARY KEY,
    project_id VARCHAR(255) NOT NULL,
    user_id VARCHAR(255) NOT NULL,
    generation BIGINT NOT NULL DEFAULT 0,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Usage of a provider is summed by (provider, class); a consumer's allocations are read and
-- replaced by consumer.
CREATE TABLE IF NOT EXISTS allocations (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    resource_provider_id BIGINT NOT NULL,
    consumer_id VARCHAR(36) NOT NULL,
    resource_class VARCHAR(255) NOT NULL,
    used BIGINT NOT NULL,
    created_at DATETIME(6) NOT NULL,
    KEY ix_allocations_provider_class (resource_provider_id, resource_class, used),
    KEY ix_allocations_consumer (consumer_id),
    CONSTRAINT fk_allocations_provider FOREIGN KEY (resource_provider_id) REFERENCES resource_providers (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS traits (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    UNIQUE KEY uq_traits_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS resource_provider_traits (
    resource_provider_id BIGINT NOT NULL,
    trait_id BIGINT NOT NULL,
    PRIMARY KEY (resource_provider_id, trait_id),
    KEY ix_resource_provider_traits_trait (trait_id),
    CONSTRAINT fk_rp_traits_provider FOREIGN KEY (resource_provider_id) REFERENCES resource_providers (id) ON DELETE CASCADE,
    CONSTRAINT fk_rp_traits_trait FOREIGN KEY (trait_id) REFERENCES traits (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Host aggregates as the compute API pushes them: hosts are compute service host names, so an
-- aggregate can name a host before its node first reports.
CREATE TABLE IF NOT EXISTS aggregates (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    uuid VARCHAR(36) NOT NULL,
    name VARCHAR(255) NOT NULL,
    availability_zone VARCHAR(255) NULL,
    metadata JSON NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    UNIQUE KEY uq_aggregates_uuid (uuid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS aggregate_hosts (
    aggregate_id BIGINT NOT NULL,
    host VARCHAR(255) NOT NULL,
    PRIMARY KEY (aggregate_id, host),
    KEY ix_aggregate_hosts_host (host),
    CONSTRAINT fk_aggregate_hosts_aggregate FOREIGN KEY (aggregate_id) REFERENCES aggregates (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The providers an aggregate covers (placement's resource_provider_aggregates), kept in step
-- with aggregate_hosts as nodes report.
CREATE TABLE IF NOT EXISTS resource_provider_aggregates (
    resource_provider_id BIGINT NOT NULL,
    aggregate_id BIGINT NOT NULL,
    PRIMARY KEY (resource_provider_id, aggregate_id),
    KEY ix_rp_aggregates_aggregate (aggregate_id),
    CONSTRAINT fk_rp_aggregates_provider FOREIGN KEY (resource_provider_id) REFERENCES resource_providers (id) ON DELETE CASCADE,
    CONSTRAINT fk_rp_aggregates_aggregate FOREIGN KEY (aggregate_id) REFERENCES aggregates (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- What nova keeps on compute_nodes and services beside the inventories.
CREATE TABLE IF NOT EXISTS compute_host_states (
    resource_provider_id BIGINT NOT NULL PRIMARY KEY,
    host VARCHAR(255) NOT NULL,
    hypervisor_hostname VARCHAR(255) NOT NULL,
    hypervisor_type VARCHAR(255) NOT NULL DEFAULT '',
    hypervisor_version BIGINT NOT NULL DEFAULT 0,
    host_ip VARCHAR(64) NOT NULL DEFAULT '',
    cpu_info TEXT NOT NULL,
    supported_instances JSON NOT NULL,
    failed_builds INT NOT NULL DEFAULT 0,
    running_vms INT NOT NULL DEFAULT 0,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    disabled_reason VARCHAR(255) NULL,
    forced_down BOOLEAN NOT NULL DEFAULT FALSE,
    last_report_at DATETIME(6) NOT NULL,
    KEY ix_compute_host_states_host (host),
    CONSTRAINT fk_compute_host_states_provider FOREIGN KEY (resource_provider_id) REFERENCES resource_providers (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- os-services status set before a host's node reports keeps until it does.
CREATE TABLE IF NOT EXISTS compute_service_status (
    host VARCHAR(255) NOT NULL PRIMARY KEY,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    disabled_reason VARCHAR(255) NULL,
    forced_down BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
