package dev.tidemark.bulk;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A store's records in key order, as the bytes of the part format, read from after a cursor. One per invocation.
 */
interface RecordSource extends AutoCloseable {

    /** @return bytes written at the top of every part (the CSV header line), or {@code null} */
    byte[] header();

    /** @return the next record's bytes ending in a newline, or {@code null} after the last */
    byte[] next();

    /**
     * @return the position just after the record {@link #next()} returned last, or {@code null} when this source cannot
     *         resume (a PostgreSQL query without a key)
     */
    JsonNode cursor();

    /** @return the columns or fields records are ordered and resumed by; empty when not resumable */
    java.util.List<String> key();

    /** @return whether {@link #cursor()} can resume this source: it has a key */
    default boolean resumable() {
        return !key().isEmpty();
    }

    @Override
    void close();
}
