package dev.tidemark.migration;

import java.time.Instant;

/**
 * The storage side of a lease lock: one lock record per target holding owner, expiry and heartbeat. Implementations
 * make each operation atomic on the server (MongoDB: conditional upsert on a unique {@code _id}; Elasticsearch:
 * {@code op_type=create} and compare-and-set on {@code _seq_no}/{@code _primary_term}).
 */
public interface LeaseStore {

    /**
     * Takes the lock if it is free, expired, or already held by {@code owner}.
     *
     * @param owner the caller's owner id
     * @param now the current time
     * @param expiresAt when the lease runs out unless renewed
     * @return true when the caller now holds the lock
     */
    boolean tryAcquire(String owner, Instant now, Instant expiresAt);

    /**
     * Extends a held lease (the heartbeat).
     *
     * @param owner the caller's owner id
     * @param now the current time
     * @param expiresAt the new expiry
     * @return false when the caller no longer holds the lock (it expired and another run took it)
     */
    boolean renew(String owner, Instant now, Instant expiresAt);

    /** @param owner releases the lock if {@code owner} still holds it; otherwise does nothing */
    void release(String owner);

    /**
     * @param now the current time
     * @return whether some run holds a lease that has not expired
     */
    boolean isHeld(Instant now);

    /** @return who holds the lock and until when, for messages; {@code null} when free */
    String describeHolder();
}
