-- tidemark:phase contract
-- Release 2026.12, contract: once the new application is deployed, the column is required and the old
-- case-sensitive constraint, whose name the old application's sign-up matched on, goes. The NOT NULL is proven by a
-- constraint validated without blocking writes, so SET NOT NULL does not scan the table under its lock.
ALTER TABLE users ADD CONSTRAINT users_email_normalized_present CHECK (email_normalized IS NOT NULL) NOT VALID;
ALTER TABLE users VALIDATE CONSTRAINT users_email_normalized_present;
ALTER TABLE users ALTER COLUMN email_normalized SET NOT NULL;
ALTER TABLE users DROP CONSTRAINT users_email_normalized_present;
ALTER TABLE users DROP CONSTRAINT users_email_unique;
