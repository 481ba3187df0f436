package dev.tidemark.bulk;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.config.TargetConfig;
import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.error.ValidationException;
import dev.tidemark.migration.Store;
import dev.tidemark.upgrade.EventFields;

import java.util.List;
import java.util.Set;

/**
 * A bulk import, parsed from the bulk-import function's event (README, {@code events/bulk-import-*.json}):
 * <pre>{@code
 * {"target": "search",
 *  "source": "s3://bulk-bucket/exports/items/",            // the folder holding manifest.json
 *  "destination": {"table": "public.items", "key": ["id"]}  // PostgreSQL (key: upsert's conflict columns, default primary key)
 *               | {"collection": "tracks"}                  // MongoDB
 *               | {"index": "tracks", "idField": "id"},     // Elasticsearch (idField: for ndjson rows without _id/_source)
 *  "mode": "insert" | "upsert" | "replace",
 *  "batchSize": 1000, "maxRowsPerSecond": 0, "maxSecondsPerCall": null, "continuation": null}
 * }</pre>
 * As with exports, the output is this event with {@code continuation}, {@code done} and {@code result} set.
 *
 * @param target the configured destination target
 * @param source the export folder
 * @param name the destination table, collection or index (for a replace into Elasticsearch: the alias)
 * @param key PostgreSQL conflict columns, empty for the primary key
 * @param idField Elasticsearch: the field of a plain ndjson record used as {@code _id}, or {@code null}
 * @param mode the import mode
 * @param throughput pacing options
 * @param continuation where to resume, or {@code null} to start
 */
public record ImportRequest(TargetConfig target, S3Uri source, String name, List<String> key, String idField, ImportMode mode,
                            Throughput throughput, Continuation continuation) {

    private static final Set<String> FIELDS = Set.of("execution", "target", "source", "destination", "mode", "batchSize", "maxRowsPerSecond",
        "maxSecondsPerCall", "continuation", "done", "result");

    /** Canonical constructor: copies the key. */
    public ImportRequest {
        key = List.copyOf(key);
    }

    /**
     * @param event the event
     * @param config the function configuration (targets)
     * @param bucket the configured bulk bucket
     * @param tokens opens the {@code continuation} token, which must be bound to this request
     * @return the request
     * @throws ValidationException naming the first field that is missing, unknown or malformed
     */
    public static ImportRequest parse(JsonNode event, TidemarkConfig config, String bucket, ContinuationCodec tokens) {
        if (event == null || !event.isObject()) {
            throw new ValidationException("event: expected a JSON object with target, source, destination and mode");
        }
        EventFields.unknown(event, FIELDS, "");
        TargetConfig target = ExportRequest.target(event, config);
        S3Uri source = S3Uri.parse("source", EventFields.text(event, "source"), bucket);
        JsonNode d = event.path("destination");
        if (!d.isObject()) {
            throw new ValidationException("destination: missing; expected an object naming the table, collection or index");
        }
        String name = null;
        List<String> key = List.of();
        String idField = null;
        switch (target.store()) {
            case POSTGRES -> {
                EventFields.unknown(d, Set.of("table", "key"), "destination.");
                name = EventFields.text(d, "table", "destination.", 256);
                if (name == null || !name.matches("[A-Za-z_][A-Za-z0-9_$]*(\\.[A-Za-z_][A-Za-z0-9_$]*)?")) {
                    throw new ValidationException("destination.table: missing or not a table name (table or schema.table)");
                }
                key = ExportRequest.names(d.get("key"), "destination.key");
            }
            case MONGODB -> {
                EventFields.unknown(d, Set.of("collection"), "destination.");
                name = Internals.mongoCollection("destination.collection", EventFields.text(d, "collection", "destination.", 256));
            }
            case ELASTICSEARCH -> {
                EventFields.unknown(d, Set.of("index", "idField"), "destination.");
                name = Internals.elasticIndex("destination.index", EventFields.text(d, "index", "destination.", 256));
                idField = EventFields.text(d, "idField", "destination.", 256);
            }
        }
        if (target.store() != Store.POSTGRES) { // PostgreSQL names are checked once the catalog has resolved them
            target.requireBulkAllowed(target.store() == Store.MONGODB ? "destination.collection" : "destination.index", name);
        }
        String m = EventFields.text(event, "mode");
        if (m == null) {
            throw new ValidationException("mode: missing; expected insert, upsert or replace");
        }
        ImportRequest r = new ImportRequest(target, source, name, key, idField, ImportMode.of("mode", m), Throughput.parse(event), null);
        return r.with(tokens.open(event.get("continuation"), r.binding(), Continuation.VERIFY, Continuation.LOAD));
    }

    private ImportRequest with(Continuation c) {
        return new ImportRequest(target, source, name, key, idField, mode, throughput, c);
    }

    /**
     * @return what a continuation token is bound to: the SHA-256 of the target, source folder, destination, key, idField
     *         and mode
     */
    public String binding() {
        return ContinuationCodec.binding("import", target.name(), target.store().id(), source.toString(), name, key, idField, mode.name());
    }

    /** @return the destination store */
    public Store store() {
        return target.store();
    }
}
