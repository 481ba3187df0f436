-- Release 2026.12, expand: the unique index the new application signs users in by, built without blocking writes.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email_normalized_unique ON users (email_normalized);
