-- Undo of V6: the constraint goes with the column.
ALTER TABLE messages DROP CONSTRAINT messages_token_count_non_negative;
ALTER TABLE messages DROP COLUMN token_count;
