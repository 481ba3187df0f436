-- Zero-downtime index build: CONCURRENTLY does not block writes. It cannot run inside a transaction, so it stands
-- alone in its migration (Flyway then runs this migration without one).
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_created_at_idx ON users (created_at);
