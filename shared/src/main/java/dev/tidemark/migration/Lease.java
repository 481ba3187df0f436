package dev.tidemark.migration;

import dev.tidemark.error.LeaseLostException;
import dev.tidemark.error.LockContentionException;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A held lease lock with a heartbeat and a fencing epoch. The holder renews it every third of its length; a renewal
 * matches owner and epoch and is refused once the lease has expired, so a crashed or paused holder loses the lock when
 * the lease runs out and never gets it back. Before each step of its work the holder calls {@link #check()}, which asks
 * the store (not a flag the heartbeat sets) and also refuses once the last confirmed expiry, measured on this process's
 * monotonic clock, is less than a safety margin away.
 */
public final class Lease implements AutoCloseable {

    private final LeaseStore store;
    private final String owner;
    private final long epoch;
    private final Duration length;
    private final String target;
    private final ScheduledExecutorService heartbeat;
    /** {@link System#nanoTime()} up to which the store has confirmed the lease, less the safety margin. */
    private volatile long safeUntil;
    private volatile boolean lost;

    private Lease(LeaseStore store, String owner, long epoch, Duration length, String target, long confirmedAt) {
        this.store = store;
        this.owner = owner;
        this.epoch = epoch;
        this.length = length;
        this.target = target;
        this.safeUntil = confirmedAt + length.toNanos() - margin(length);
        this.heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tidemark-lease-" + target);
            t.setDaemon(true);
            return t;
        });
        long period = Math.max(100, length.toMillis() / 3);
        heartbeat.scheduleAtFixedRate(this::renew, period, period, TimeUnit.MILLISECONDS);
    }

    /** @return the part of a lease kept as a safety margin: a sixth of it (a step must not start in its last sixth) */
    private static long margin(Duration length) {
        return length.toNanos() / 6;
    }

    /** @return a fresh owner id: host, process id and a random part */
    public static String newOwnerId() {
        return ManagementFactory.getRuntimeMXBean().getName() + "/" + UUID.randomUUID();
    }

    /**
     * Waits for the lock, polling with growing pauses (100 ms to 1 s).
     *
     * @param store the lock record
     * @param owner the caller's owner id
     * @param length the lease length
     * @param wait how long to wait for a lock another run holds
     * @param target the target name, for messages
     * @return the held lease
     * @throws LockContentionException when it is still held after {@code wait}
     */
    public static Lease acquire(LeaseStore store, String owner, Duration length, Duration wait, String target) {
        long deadline = System.nanoTime() + wait.toNanos();
        long pause = 100;
        while (true) {
            long asked = System.nanoTime();
            Instant now = Instant.now();
            long epoch = store.tryAcquire(owner, now, now.plus(length));
            if (epoch > 0) {
                return new Lease(store, owner, epoch, length, target, asked);
            }
            if (System.nanoTime() >= deadline) {
                throw new LockContentionException("target '" + target + "': migration lock held by " + store.describeHolder()
                    + "; waited " + wait.toSeconds() + " s");
            }
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LockContentionException("target '" + target + "': interrupted while waiting for the migration lock", e);
            }
            pause = Math.min(1000, pause * 2);
        }
    }

    /** @return this lease's epoch, the fencing token its history writes carry */
    public long epoch() {
        return epoch;
    }

    private void renew() {
        if (lost) {
            return;
        }
        try {
            long asked = System.nanoTime();
            Instant now = Instant.now();
            if (store.renew(owner, epoch, now, now.plus(length))) {
                safeUntil = asked + length.toNanos() - margin(length);
            } else {
                lost = true; // expired or taken: a holder never gets a lease back
            }
        } catch (RuntimeException e) {
            // a failed heartbeat is retried at the next tick; check() refuses once the confirmed lease runs short
        }
    }

    /**
     * Confirms with the store that this run still holds the lease, before a step that changes the target.
     *
     * @throws LeaseLostException when the store no longer shows this owner and epoch with a live lease, or when the last
     *                            confirmed expiry is closer than the safety margin (a pause or a cut-off heartbeat)
     */
    public void check() {
        if (!lost && System.nanoTime() - safeUntil < 0) {
            try {
                if (store.holds(owner, epoch, Instant.now())) {
                    return;
                }
            } catch (RuntimeException e) {
                // unreachable lock store: the lease cannot be confirmed
            }
        }
        lost = true;
        throw new LeaseLostException("target '" + target + "': the migration lease (epoch " + epoch + ") is no longer held: it ran out while "
            + "this run was paused or cut off, or another run took it; this run stopped");
    }

    /**
     * Stops the heartbeat and releases the lease (it expires at once; the epoch stays), so the next run need not wait it
     * out. While the store is unreachable (a restart) the release is tried again every 200 ms until the lease would have
     * run out anyway, capped at 15 s; it never throws: an unreleased lease simply expires.
     */
    @Override
    public void close() {
        heartbeat.shutdownNow();
        try {
            heartbeat.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long deadline = System.nanoTime() + Math.min(Math.max(0, safeUntil + margin(length) - System.nanoTime()), Duration.ofSeconds(15).toNanos());
        while (true) {
            try {
                store.release(owner, epoch);
                return;
            } catch (RuntimeException e) {
                if (System.nanoTime() - deadline > 0 || Thread.currentThread().isInterrupted()) {
                    return;
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}
