package dev.tidemark.bulk;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.error.ValidationException;
import dev.tidemark.json.Json;

/**
 * Where a bulk export or import resumes: returned by an invocation that ran out of time, sent back unchanged as
 * {@code continuation} by the next one (the state machines loop this way). Everything before it is complete.
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
 */
public record Continuation(String phase, int part, JsonNode cursor, String stage) {

    /** Phase of an export. */
    public static final String EXPORT = "export";
    /** First phase of an import: every part is checked against the manifest. */
    public static final String VERIFY = "verify";
    /** Second phase of an import: parts are written to the destination. */
    public static final String LOAD = "load";

    /**
     * @param node the {@code continuation} field of an event, or null/missing
     * @param phases the phases this operation has
     * @return the token, or {@code null} when absent
     * @throws ValidationException naming {@code continuation} when it is malformed
     */
    public static Continuation parse(JsonNode node, String... phases) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return null;
        }
        if (!node.isObject() || !node.path("part").canConvertToInt() || node.path("part").asInt() < 1 || !node.path("phase").isTextual()) {
            throw new ValidationException("continuation: not a token returned by a bulk function ({phase, part, cursor?, stage?})");
        }
        String phase = node.path("phase").asText();
        if (!java.util.List.of(phases).contains(phase)) {
            throw new ValidationException("continuation.phase: '" + phase + "' is not one of " + String.join(", ", phases));
        }
        JsonNode cursor = node.path("cursor");
        return new Continuation(phase, node.path("part").asInt(), cursor.isMissingNode() || cursor.isNull() ? null : cursor,
            node.path("stage").isTextual() ? node.path("stage").asText() : null);
    }

    @Override
    public String toString() {
        return Json.MAPPER.valueToTree(this).toString();
    }
}
