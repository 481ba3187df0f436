-- Undo of V3.
DROP TABLE refresh_tokens;
