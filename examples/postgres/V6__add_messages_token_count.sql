-- Expand step: a nullable column with a default keeps old writers working; readers treat NULL as unknown.
ALTER TABLE messages ADD COLUMN token_count integer DEFAULT 0;
ALTER TABLE messages ADD CONSTRAINT messages_token_count_non_negative CHECK (token_count >= 0) NOT VALID;
ALTER TABLE messages VALIDATE CONSTRAINT messages_token_count_non_negative;
