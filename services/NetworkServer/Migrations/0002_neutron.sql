-- The neutron resources. List-valued attributes that are only ever read and written whole
-- (dns_nameservers, host_routes, allocation_pools, routes, allowed_address_pairs, binding
-- profile and details, agent configurations) are JSON text; what must be unique or searched
-- has its own rows and keys.
CREATE TABLE IF NOT EXISTS networks (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    project_id VARCHAR(64) NOT NULL,
    name VARCHAR(255) NOT NULL DEFAULT '',
    description VARCHAR(255) NOT NULL DEFAULT '',
    status VARCHAR(16) NOT NULL,
    admin_state_up BOOLEAN NOT NULL,
    shared BOOLEAN NOT NULL,
    router_external BOOLEAN NOT NULL,
    port_security_enabled BOOLEAN NOT NULL,
    mtu INT NOT NULL,
    network_type VARCHAR(16) NOT NULL,
    physical_network VARCHAR(64) NULL,
    segmentation_id INT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    revision_number BIGINT NOT NULL DEFAULT 0,
    KEY ix_networks_project (project_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS subnetpools (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    project_id VARCHAR(64) NOT NULL,
    name VARCHAR(255) NOT NULL DEFAULT '',
    description VARCHAR(255) NOT NULL DEFAULT '',
    ip_version INT NOT NULL,
    prefixes TEXT NOT NULL,
    default_prefixlen INT NOT NULL,
    min_prefixlen INT NOT NULL,
    max_prefixlen INT NOT NULL,
    shared BOOLEAN NOT NULL,
    is_default BOOLEAN NOT NULL,
    default_quota INT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    revision_number BIGINT NOT NULL DEFAULT 0,
    KEY ix_subnetpools_project (project_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS subnets (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    project_id VARCHAR(64) NOT NULL,
    network_id VARCHAR(36) NOT NULL,
    name VARCHAR(255) NOT NULL DEFAULT '',
    description VARCHAR(255) NOT NULL DEFAULT '',
    ip_version INT NOT NULL,
    cidr VARCHAR(64) NOT NULL,
    gateway_ip VARCHAR(64) NULL,
    enable_dhcp BOOLEAN NOT NULL,
    ipv6_ra_mode VARCHAR(16) NULL,
    ipv6_address_mode VARCHAR(16) NULL,
    subnetpool_id VARCHAR(36) NULL,
    dns_nameservers TEXT NOT NULL,
    host_routes TEXT NOT NULL,
    allocation_pools TEXT NOT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    revision_number BIGINT NOT NULL DEFAULT 0,
    KEY ix_subnets_network (network_id),
    KEY ix_subnets_project (project_id),
    KEY ix_subnets_subnetpool (subnetpool_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS ports (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    project_id VARCHAR(64) NOT NULL,
    network_id VARCHAR(36) NOT NULL,
    name VARCHAR(255) NOT NULL DEFAULT '',
    description VARCHAR(255) NOT NULL DEFAULT '',
    mac_address VARCHAR(32) NOT NULL,
    admin_state_up BOOLEAN NOT NULL,
    status VARCHAR(16) NOT NULL,
    device_id VARCHAR(255) NOT NULL DEFAULT '',
    device_owner VARCHAR(255) NOT NULL DEFAULT '',
    port_security_enabled BOOLEAN NOT NULL,
    allowed_address_pairs TEXT NOT NULL,
    binding_host_id VARCHAR(255) NOT NULL DEFAULT '',
    binding_vnic_type VARCHAR(64) NOT NULL DEFAULT 'normal',
    binding_vif_type VARCHAR(64) NOT NULL DEFAULT 'unbound',
    binding_vif_details TEXT NOT NULL,
    binding_profile TEXT NOT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    revision_number BIGINT NOT NULL DEFAULT 0,
    UNIQUE KEY uq_ports_network_mac (network_id, mac_address),
    KEY ix_ports_project (project_id),
    KEY ix_ports_device (device_id),
    KEY ix_ports_host (binding_host_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- An address is taken by inserting its row: the key makes a second taker fail.
CREATE TABLE IF NOT EXISTS ipallocations (
    subnet_id VARCHAR(36) NOT NULL,
    ip_address VARCHAR(64) NOT NULL,
    port_id VARCHAR(36) NOT NULL,
    network_id VARCHAR(36) NOT NULL,
    PRIMARY KEY (subnet_id, ip_address),
    KEY ix_ipallocations_port (port_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS securitygroups (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    project_id VARCHAR(64) NOT NULL,
    name VARCHAR(255) NOT NULL DEFAULT '',
    description VARCHAR(255) NOT NULL DEFAULT '',
    stateful BOOLEAN NOT NULL DEFAULT TRUE,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    revision_number BIGINT NOT NULL DEFAULT 0,
    KEY ix_securitygroups_project (project_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One default group per project: the key makes two first uses at once make one group.
CREATE TABLE IF NOT EXISTS default_security_group (
    project_id VARCHAR(64) NOT NULL PRIMARY KEY,
    security_group_id VARCHAR(36) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS securitygrouprules (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    project_id VARCHAR(64) NOT NULL,
    security_group_id VARCHAR(36) NOT NULL,
    direction VARCHAR(8) NOT NULL,
    ethertype VARCHAR(8) NOT NULL,
    protocol VARCHAR(40) NULL,
    port_range_min INT NULL,
    port_range_max INT NULL,
    remote_ip_prefix VARCHAR(64) NULL,
    remote_group_id VARCHAR(36) NULL,
    description VARCHAR(255) NOT NULL DEFAULT '',
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    revision_number BIGINT NOT NULL DEFAULT 0,
    KEY ix_securitygrouprules_group (security_group_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS securitygroupportbindings (
    port_id VARCHAR(36) NOT NULL,
    security_group_id VARCHAR(36) NOT NULL,
    PRIMARY KEY (port_id, security_group_id),
    KEY ix_sgportbindings_group (security_group_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS routers (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    project_id VARCHAR(64) NOT NULL,
    name VARCHAR(255) NOT NULL DEFAULT '',
    description VARCHAR(255) NOT NULL DEFAULT '',
    status VARCHAR(16) NOT NULL,
    admin_state_up BOOLEAN NOT NULL,
    gw_port_id VARCHAR(36) NULL,
    enable_snat BOOLEAN NOT NULL DEFAULT TRUE,
    routes TEXT NOT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    revision_number BIGINT NOT NULL DEFAULT 0,
    KEY ix_routers_project (project_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS floatingips (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    project_id VARCHAR(64) NOT NULL,
    floating_network_id VARCHAR(36) NOT NULL,
    floating_ip_address VARCHAR(64) NOT NULL,
    floating_port_id VARCHAR(36) NOT NULL,
    fixed_port_id VARCHAR(36) NULL,
    fixed_ip_address VARCHAR(64) NULL,
    router_id VARCHAR(36) NULL,
    status VARCHAR(16) NOT NULL,
    description VARCHAR(255) NOT NULL DEFAULT '',
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    revision_number BIGINT NOT NULL DEFAULT 0,
    UNIQUE KEY uq_floatingips_fixed (fixed_port_id, fixed_ip_address),
    KEY ix_floatingips_project (project_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS agents (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    agent_type VARCHAR(255) NOT NULL,
    `binary` VARCHAR(255) NOT NULL,
    topic VARCHAR(255) NOT NULL,
    host VARCHAR(255) NOT NULL,
    availability_zone VARCHAR(255) NULL,
    admin_state_up BOOLEAN NOT NULL DEFAULT TRUE,
    configurations TEXT NOT NULL,
    description VARCHAR(255) NOT NULL DEFAULT '',
    created_at DATETIME(6) NOT NULL,
    started_at DATETIME(6) NOT NULL,
    heartbeat_timestamp DATETIME(6) NOT NULL,
    UNIQUE KEY uq_agents_type_host (agent_type, host)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS networkdhcpagentbindings (
    network_id VARCHAR(36) NOT NULL,
    dhcp_agent_id VARCHAR(36) NOT NULL,
    PRIMARY KEY (network_id, dhcp_agent_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS routerl3agentbindings (
    router_id VARCHAR(36) NOT NULL PRIMARY KEY,
    l3_agent_id VARCHAR(36) NOT NULL,
    KEY ix_routerl3agentbindings_agent (l3_agent_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS quotas (
    project_id VARCHAR(64) NOT NULL,
    resource VARCHAR(64) NOT NULL,
    `limit` INT NOT NULL,
    PRIMARY KEY (project_id, resource)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
