package dev.tidemark.bulk;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.error.ValidationException;

/**
 * The pacing options every bulk event may carry.
 *
 * @param batchSize records per round trip to the store: MongoDB cursor batch and bulk write, Elasticsearch search page
 *                  and {@code _bulk} request (default 1000, 1 to 100000)
 * @param maxRowsPerSecond cap on records per second, 0 for none (default)
 * @param maxSecondsPerCall cap on the seconds one invocation works before it returns a continuation, or {@code null}
 *                          for Lambda's remaining time minus the margin; 0 writes one part per invocation
 */
public record Throughput(int batchSize, long maxRowsPerSecond, Integer maxSecondsPerCall) {

    /** Default {@link #batchSize()}. */
    public static final int DEFAULT_BATCH = 1000;

    /**
     * @param event the event
     * @return its pacing options
     * @throws ValidationException naming the field that is out of range
     */
    static Throughput parse(JsonNode event) {
        int batch = (int) number(event, "batchSize", DEFAULT_BATCH, 1, 100_000);
        long rate = number(event, "maxRowsPerSecond", 0, 0, Long.MAX_VALUE);
        Integer seconds = event.hasNonNull("maxSecondsPerCall") ? (int) number(event, "maxSecondsPerCall", 0, 0, 900) : null;
        return new Throughput(batch, rate, seconds);
    }

    /**
     * @param event the event
     * @param field a numeric field
     * @param dflt its default
     * @param min smallest value
     * @param max largest value
     * @return its value
     * @throws ValidationException naming the field when it is not a whole number in range
     */
    static long number(JsonNode event, String field, long dflt, long min, long max) {
        JsonNode v = event.get(field);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.canConvertToLong() || !v.isIntegralNumber() || v.asLong() < min || v.asLong() > max) {
            throw new ValidationException(field + ": expected a whole number from " + min + " to " + max + ", got "
                + (v.isNumber() && v.asText().length() <= 40 ? v.asText() : dev.tidemark.upgrade.EventFields.kind(v)));
        }
        return v.asLong();
    }
}
