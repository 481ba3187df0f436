package dev.tidemark.bulk;

import java.time.Duration;

/**
 * The time an invocation may spend (monotonic clock). Past the soft limit a bulk run finishes the part in hand and
 * returns a {@link Continuation}; past the hard limit it abandons the part in hand (an export aborts its upload) and
 * returns the position before it, so the function always answers before Lambda's timeout.
 *
 * @param softNanos {@link System#nanoTime()} after which no new part is started
 * @param hardNanos {@link System#nanoTime()} after which the part in hand is abandoned
 */
public record Budget(long softNanos, long hardNanos) {

    /**
     * @param soft time from now until the soft limit (zero: one part per invocation)
     * @param hard time from now until the hard limit
     * @return the budget
     */
    public static Budget of(Duration soft, Duration hard) {
        long now = System.nanoTime();
        return new Budget(now + soft.toNanos(), now + Math.max(soft.toNanos(), hard.toNanos()));
    }

    /**
     * A Lambda invocation's budget: soft limit {@code remaining - margin} (capped by {@code maxSeconds} when set), hard
     * limit {@code remaining - margin / 4}.
     *
     * @param remainingMillis {@code Context.getRemainingTimeInMillis()}
     * @param marginSeconds seconds kept free for finishing the part in hand and answering
     * @param maxSeconds the request's cap on the soft limit in seconds, or {@code null}
     * @return the budget
     */
    public static Budget forLambda(long remainingMillis, int marginSeconds, Integer maxSeconds) {
        Duration remaining = Duration.ofMillis(remainingMillis);
        Duration soft = remaining.minusSeconds(marginSeconds);
        if (maxSeconds != null && Duration.ofSeconds(maxSeconds).compareTo(soft) < 0) {
            soft = Duration.ofSeconds(maxSeconds);
        }
        Duration hard = remaining.minusMillis(marginSeconds * 250L);
        return of(soft.isNegative() ? Duration.ZERO : soft, hard.isNegative() ? Duration.ZERO : hard);
    }

    /** @return an effectively unlimited budget */
    public static Budget unlimited() {
        return of(Duration.ofDays(365), Duration.ofDays(365));
    }

    /** @return whether the soft limit has passed */
    public boolean softPassed() {
        return System.nanoTime() - softNanos >= 0;
    }

    /** @return milliseconds until the hard limit, zero once it has passed */
    public long hardRemainingMillis() {
        return Math.max(0, (hardNanos - System.nanoTime()) / 1_000_000);
    }

    /** @return whether the hard limit has passed */
    public boolean hardPassed() {
        return System.nanoTime() - hardNanos >= 0;
    }
}
