-- Messages that follow a database change, written in the change's transaction and delivered
-- by the outbox dispatcher after commit.
CREATE TABLE IF NOT EXISTS outbox_messages (
    id BIGINT NOT NULL AUTO_INCREMENT,
    message_id CHAR(36) NOT NULL,
    kind VARCHAR(16) NOT NULL,
    destination VARCHAR(255) NULL,
    message_type VARCHAR(512) NOT NULL,
    body LONGTEXT NOT NULL,
    headers TEXT NOT NULL,
    created_at DATETIME(6) NOT NULL,
    attempts INT NOT NULL DEFAULT 0,
    last_error TEXT NULL,
    PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
