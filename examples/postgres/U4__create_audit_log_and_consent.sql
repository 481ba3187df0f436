-- Undo of V4.
DROP TABLE consent;
DROP TABLE audit_log;
