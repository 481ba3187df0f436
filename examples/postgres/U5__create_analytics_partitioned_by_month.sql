-- Undo of V5: dropping the partitioned table drops its partitions.
DROP TABLE analytics;
