package dev.tidemark.error;

/**
 * Stable error codes carried by every {@link TidemarkException}; they appear in results and logs and never change
 * meaning once published.
 */
public enum ErrorCode {
    /** Bad input: an event, a location, a version or a file name that is not acceptable. Nothing was changed. */
    VALIDATION_ERROR,
    /** Another run holds the migration lock (advisory lock or lease) of the target. Safe to retry. */
    LOCK_CONTENTION,
    /** The target could not be reached or answered with a server error. Safe to retry. */
    CONNECTION_ERROR,
    /** A secret could not be read or has the wrong shape. */
    SECRET_ERROR,
    /** An applied migration's file changed: its checksum differs from the one in the schema history. */
    CHECKSUM_MISMATCH,
    /** The schema history holds a failed migration; the target needs repair before it is migrated again. */
    REPAIR_REQUIRED,
    /** A migration failed while it ran. */
    MIGRATION_FAILED,
    /** A migration location could not be read. */
    LOCATION_ERROR,
    /** A rollback could not undo every target; the message lists what was rolled back and what failed. */
    ROLLBACK_INCOMPLETE,
    /** The lint found error-level findings that carry no approval; nothing was run. */
    LINT_FAILED,
    /** A bulk import found a part that does not match its manifest (size, SHA-256 or row count); nothing was loaded. */
    MANIFEST_MISMATCH,
    /** A bulk export or import failed mid-way; the message carries the continuation token to resume from. */
    TRANSFER_FAILED,
    /** The store answered with an error that retrying will not fix (a missing right, an unsupported command). */
    STORE_ERROR,
    /** An erasure request id already names a request with another body (HTTP 409); nothing was changed. */
    REQUEST_CONFLICT,
    /** A run lost its migration lease (it paused or was cut off past it, and another run may hold it now); it stopped. */
    LEASE_LOST
}
