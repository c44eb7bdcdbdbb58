-- An instance's volumes (nova's block_device_mapping, destination volume), kept with the
-- instance as one JSON list: each change of them is a new version of the instance, so the
-- compute API's read model shows attachments in the same order as every other change.
ALTER TABLE instances ADD COLUMN IF NOT EXISTS block_device_mapping MEDIUMTEXT NOT NULL DEFAULT '[]';
