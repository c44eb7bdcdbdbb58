-- The request (an agent's instance_update or an API action) that made an instance's current
-- version. A conductor killed between its commit and its answer is handed the same request
-- again; with this it knows the change for its own and answers as it would have, where the
-- task state alone would say the instance moved on.
ALTER TABLE instances ADD COLUMN IF NOT EXISTS last_change_id VARCHAR(36) NULL;
