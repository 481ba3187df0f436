package dev.tidemark.bulk;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Where a bulk export or import resumes: returned by an invocation that ran out of time, sealed as a signed token by
 * {@link ContinuationCodec}, sent back unchanged as {@code continuation} by the next one (the state machines loop this
 * way). Everything before it is complete. Its contents, per store:
 * <pre>{@code
 * {"phase": "export", "part": 4, "cursor": [1250000]}                                   // PostgreSQL: last key
 * {"phase": "export", "part": 4, "cursor": {"_id": {"$oid": "..."}}}                    // MongoDB: last _id
 * {"phase": "export", "part": 4, "cursor": {"pit": "...", "searchAfter": [17, 3]}}       // Elasticsearch: PIT + search_after
 * {"phase": "load", "part": 2, "stage": "items__tidemark_replace"}                     // import
 * }</pre>
 *
 * @param phase {@code export}; for imports {@code verify} (checking parts against the manifest) or {@code load}
 * @param part the 1-based number of the next part to write, verify or load
 * @param cursor store-specific position after the last exported record, or {@code null} at the start
 * @param stage the staging table, collection or index of a replace import, or {@code null}
 * @param anchor the start time of the export the token belongs to (its manifest's {@code startedAt}), or {@code null}
 *               before the manifest exists
 */
public record Continuation(String phase, int part, JsonNode cursor, String stage, String anchor) {

    /** Phase of an export. */
    public static final String EXPORT = "export";
    /** First phase of an import: every part is checked against the manifest. */
    public static final String VERIFY = "verify";
    /** Second phase of an import: parts are written to the destination. */
    public static final String LOAD = "load";

    /**
     * A continuation not yet anchored to an export.
     *
     * @param phase the phase
     * @param part the next part
     * @param cursor the position, or {@code null}
     * @param stage the replace stage, or {@code null}
     */
    public Continuation(String phase, int part, JsonNode cursor, String stage) {
        this(phase, part, cursor, stage, null);
    }

    /**
     * @param startedAt the export's start time
     * @return this continuation anchored to that export
     */
    public Continuation anchoredTo(java.time.Instant startedAt) {
        return new Continuation(phase, part, cursor, stage, startedAt == null ? null : startedAt.toString());
    }

    @Override
    public String toString() {
        return "phase " + phase + ", part " + part;
    }
}
