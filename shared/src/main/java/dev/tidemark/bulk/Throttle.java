package dev.tidemark.bulk;

/**
 * Caps a bulk run at a number of records per second, averaged from the start of the invocation (sleeps when ahead).
 * Zero means no cap.
 */
public final class Throttle {

    private final long perSecond;
    private final long start = System.nanoTime();
    private long count;

    /** @param perSecond records per second, 0 for no cap */
    public Throttle(long perSecond) {
        this.perSecond = perSecond;
    }

    /**
     * Accounts for records and sleeps while the run is ahead of the cap.
     *
     * @param records records just written
     */
    public void acquire(long records) {
        if (perSecond <= 0) {
            return;
        }
        count += records;
        long due = start + count * 1_000_000_000L / perSecond;
        long wait = due - System.nanoTime();
        if (wait > 1_000_000L) {
            try {
                Thread.sleep(wait / 1_000_000L, (int) (wait % 1_000_000L));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
