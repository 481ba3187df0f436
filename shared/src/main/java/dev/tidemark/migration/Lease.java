package dev.tidemark.migration;

import dev.tidemark.error.LockContentionException;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A held lease lock with a heartbeat. The holder renews it every third of its length; a crashed holder stops renewing
 * and loses the lock when the lease runs out, so the lock never sticks. Work checks {@link #checkHeld()} between steps
 * and stops if the lease was lost.
 */
public final class Lease implements AutoCloseable {

    private final LeaseStore store;
    private final String owner;
    private final Duration length;
    private final String target;
    private final ScheduledExecutorService heartbeat;
    private volatile boolean lost;

    private Lease(LeaseStore store, String owner, Duration length, String target) {
        this.store = store;
        this.owner = owner;
        this.length = length;
        this.target = target;
        this.heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tidemark-lease-" + target);
            t.setDaemon(true);
            return t;
        });
        long period = Math.max(100, length.toMillis() / 3);
        heartbeat.scheduleAtFixedRate(this::renew, period, period, TimeUnit.MILLISECONDS);
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
            Instant now = Instant.now();
            if (store.tryAcquire(owner, now, now.plus(length))) {
                return new Lease(store, owner, length, target);
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

    private void renew() {
        try {
            Instant now = Instant.now();
            if (!store.renew(owner, now, now.plus(length))) {
                lost = true;
            }
        } catch (RuntimeException e) {
            // a failed heartbeat is retried at the next tick; the lease only counts as lost when another run took it
        }
    }

    /** @throws LockContentionException if the lease was lost to another run */
    public void checkHeld() {
        if (lost) {
            throw new LockContentionException("target '" + target + "': the migration lease expired and was taken by another run");
        }
    }

    @Override
    public void close() {
        heartbeat.shutdownNow();
        try {
            heartbeat.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        store.release(owner);
    }
}
