-- Undo of V7, without blocking writes either: DROP INDEX CONCURRENTLY runs outside a transaction.
DROP INDEX CONCURRENTLY IF EXISTS users_created_at_idx;
