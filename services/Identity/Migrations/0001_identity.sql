-- The identity model: keystone's nouns, one table each. IDs are 32 hex characters as keystone's.
CREATE TABLE IF NOT EXISTS domains (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    name VARCHAR(64) NOT NULL,
    description TEXT NULL,
    enabled TINYINT(1) NOT NULL DEFAULT 1,
    created_at DATETIME(6) NOT NULL,
    UNIQUE KEY uq_domains_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS projects (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    domain_id VARCHAR(64) NOT NULL,
    parent_id VARCHAR(64) NULL,
    name VARCHAR(64) NOT NULL,
    description TEXT NULL,
    enabled TINYINT(1) NOT NULL DEFAULT 1,
    created_at DATETIME(6) NOT NULL,
    UNIQUE KEY uq_projects_domain_name (domain_id, name),
    KEY ix_projects_parent (parent_id),
    CONSTRAINT fk_projects_domain FOREIGN KEY (domain_id) REFERENCES domains (id),
    CONSTRAINT fk_projects_parent FOREIGN KEY (parent_id) REFERENCES projects (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS project_tags (
    project_id VARCHAR(64) NOT NULL,
    tag VARCHAR(255) NOT NULL,
    PRIMARY KEY (project_id, tag),
    CONSTRAINT fk_project_tags_project FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS users (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    domain_id VARCHAR(64) NOT NULL,
    name VARCHAR(255) NOT NULL,
    enabled TINYINT(1) NOT NULL DEFAULT 1,
    email VARCHAR(255) NULL,
    description TEXT NULL,
    default_project_id VARCHAR(64) NULL,
    password_hash VARCHAR(255) NULL,
    password_created_at DATETIME(6) NULL,
    failed_auth_count INT NOT NULL DEFAULT 0,
    failed_auth_at DATETIME(6) NULL,
    created_at DATETIME(6) NOT NULL,
    UNIQUE KEY uq_users_domain_name (domain_id, name),
    CONSTRAINT fk_users_domain FOREIGN KEY (domain_id) REFERENCES domains (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `groups` (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    domain_id VARCHAR(64) NOT NULL,
    name VARCHAR(64) NOT NULL,
    description TEXT NULL,
    UNIQUE KEY uq_groups_domain_name (domain_id, name),
    CONSTRAINT fk_groups_domain FOREIGN KEY (domain_id) REFERENCES domains (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS user_group_membership (
    user_id VARCHAR(64) NOT NULL,
    group_id VARCHAR(64) NOT NULL,
    PRIMARY KEY (user_id, group_id),
    KEY ix_membership_group (group_id),
    CONSTRAINT fk_membership_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT fk_membership_group FOREIGN KEY (group_id) REFERENCES `groups` (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Global roles have domain_id '<<null>>' (as keystone stores them) so that the unique key holds.
CREATE TABLE IF NOT EXISTS roles (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    domain_id VARCHAR(64) NOT NULL DEFAULT '<<null>>',
    description TEXT NULL,
    UNIQUE KEY uq_roles_name_domain (name, domain_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS implied_roles (
    prior_role_id VARCHAR(64) NOT NULL,
    implied_role_id VARCHAR(64) NOT NULL,
    PRIMARY KEY (prior_role_id, implied_role_id),
    CONSTRAINT fk_implied_prior FOREIGN KEY (prior_role_id) REFERENCES roles (id) ON DELETE CASCADE,
    CONSTRAINT fk_implied_implied FOREIGN KEY (implied_role_id) REFERENCES roles (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- type: UserProject, GroupProject, UserDomain, GroupDomain, UserSystem, GroupSystem.
-- target_id is the project or domain id, or 'system' for the system scope.
CREATE TABLE IF NOT EXISTS role_assignments (
    type VARCHAR(16) NOT NULL,
    actor_id VARCHAR(64) NOT NULL,
    target_id VARCHAR(64) NOT NULL,
    role_id VARCHAR(64) NOT NULL,
    inherited TINYINT(1) NOT NULL DEFAULT 0,
    PRIMARY KEY (type, actor_id, target_id, role_id, inherited),
    KEY ix_assignments_actor (actor_id),
    KEY ix_assignments_target (target_id),
    KEY ix_assignments_role (role_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS regions (
    id VARCHAR(255) NOT NULL PRIMARY KEY,
    description VARCHAR(255) NOT NULL DEFAULT '',
    parent_region_id VARCHAR(255) NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS services (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    type VARCHAR(255) NOT NULL,
    name VARCHAR(255) NULL,
    description TEXT NULL,
    enabled TINYINT(1) NOT NULL DEFAULT 1
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS endpoints (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    service_id VARCHAR(64) NOT NULL,
    interface VARCHAR(8) NOT NULL,
    region_id VARCHAR(255) NULL,
    url TEXT NOT NULL,
    enabled TINYINT(1) NOT NULL DEFAULT 1,
    CONSTRAINT fk_endpoints_service FOREIGN KEY (service_id) REFERENCES services (id),
    CONSTRAINT fk_endpoints_region FOREIGN KEY (region_id) REFERENCES regions (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS application_credentials (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    user_id VARCHAR(64) NOT NULL,
    project_id VARCHAR(64) NOT NULL,
    secret_hash VARCHAR(255) NOT NULL,
    description TEXT NULL,
    expires_at DATETIME(6) NULL,
    unrestricted TINYINT(1) NOT NULL DEFAULT 0,
    created_at DATETIME(6) NOT NULL,
    UNIQUE KEY uq_app_creds_user_name (user_id, name),
    CONSTRAINT fk_app_creds_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS application_credential_roles (
    application_credential_id VARCHAR(64) NOT NULL,
    role_id VARCHAR(64) NOT NULL,
    PRIMARY KEY (application_credential_id, role_id),
    CONSTRAINT fk_app_cred_roles_cred FOREIGN KEY (application_credential_id) REFERENCES application_credentials (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- keystone's revocation events: a token is revoked when every set field matches it and it was
-- issued at or before issued_before.
CREATE TABLE IF NOT EXISTS revocation_events (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    issued_before DATETIME(6) NOT NULL,
    revoked_at DATETIME(6) NOT NULL,
    audit_id VARCHAR(32) NULL,
    audit_chain_id VARCHAR(32) NULL,
    user_id VARCHAR(64) NULL,
    project_id VARCHAR(64) NULL,
    domain_id VARCHAR(64) NULL,
    role_id VARCHAR(64) NULL,
    expires_at DATETIME(6) NULL,
    KEY ix_revocation_revoked_at (revoked_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
