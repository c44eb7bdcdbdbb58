-- ML2 segment allocations: a row is a segment in use. Flat networks hold segmentation_id 0 of
-- their physical network; tunnel types have no physical network (''). The primary key is what
-- makes a VLAN, VNI or GRE key impossible to hand out twice.
CREATE TABLE IF NOT EXISTS ml2_segment_allocations (
    network_type VARCHAR(16) NOT NULL,
    physical_network VARCHAR(64) NOT NULL DEFAULT '',
    segmentation_id INT NOT NULL,
    network_id VARCHAR(36) NOT NULL,
    PRIMARY KEY (network_type, physical_network, segmentation_id),
    KEY ix_ml2_segment_allocations_network (network_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
