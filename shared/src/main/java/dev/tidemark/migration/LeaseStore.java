package dev.tidemark.migration;

import java.time.Instant;
import java.util.OptionalLong;

/**
 * The storage side of a lease lock: one lock record per target holding owner, epoch, expiry and heartbeat. Implementations
 * make each operation atomic on the server (MongoDB: conditional updates of one document with a unique {@code _id};
 * Elasticsearch: {@code op_type=create} and compare-and-set on {@code _seq_no}/{@code _primary_term}).
 * <p>
 * The epoch is a fencing token (Kleppmann, "How to do distributed locking"): every acquisition raises it by one, it never
 * goes down (a released lock keeps it), and renewals and history writes carry it, so a holder that paused past its lease
 * cannot renew, and the history refuses its writes once a later epoch owns a record.
 */
public interface LeaseStore {

    /**
     * Takes the lock if it is free or expired.
     *
     * @param owner the caller's owner id
     * @param now the current time
     * @param expiresAt when the lease runs out unless renewed
     * @return the new lease's epoch (one above the lock's last), or {@code -1} when another lease is live
     */
    long tryAcquire(String owner, Instant now, Instant expiresAt);

    /**
     * Extends a held lease (the heartbeat). Matches owner and epoch, and refuses a lease that has already expired: a holder
     * that wakes after its expiry never gets it back.
     *
     * @param owner the caller's owner id
     * @param epoch the lease's epoch
     * @param now the current time
     * @param expiresAt the new expiry
     * @return false when the caller no longer holds a live lease
     */
    boolean renew(String owner, long epoch, Instant now, Instant expiresAt);

    /**
     * Asks the store, not a cached flag, whether the caller still holds a live lease.
     *
     * @param owner the caller's owner id
     * @param epoch the lease's epoch
     * @param now the current time
     * @return whether the lock record names this owner and epoch and has not expired
     */
    boolean holds(String owner, long epoch, Instant now);

    /**
     * Ends a held lease at once (expiry set to now), keeping its epoch; does nothing when the caller no longer holds it.
     *
     * @param owner the caller's owner id
     * @param epoch the lease's epoch
     */
    void release(String owner, long epoch);

    /**
     * @param now the current time
     * @return the epoch of a live (unexpired) lease, or empty when the lock is free or expired
     */
    OptionalLong liveEpoch(Instant now);

    /** @return the lock's epoch, live or not: the epoch of the last acquisition, {@code 0} when there has been none */
    long lastEpoch();

    /** @return who holds the lock, with its epoch and expiry, for messages; {@code null} when there is no lock record */
    String describeHolder();
}
