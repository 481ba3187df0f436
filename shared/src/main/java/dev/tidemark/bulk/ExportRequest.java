package dev.tidemark.bulk;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.config.TargetConfig;
import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.error.ValidationException;
import dev.tidemark.migration.Store;
import dev.tidemark.upgrade.EventFields;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A bulk export, parsed from the bulk-export function's event (README, {@code events/bulk-export-*.json}):
 * <pre>{@code
 * {"target": "app-db",
 *  "source": {"table": "public.items"}                      // PostgreSQL: a table (resumed by its primary key)
 *         | {"query": "SELECT ...", "key": ["id"]}          //   or a SELECT (resumed by key, when given)
 *         | {"collection": "tracks", "filter": {...}, "projection": {...}}   // MongoDB (resumed by _id)
 *         | {"index": "tracks", "query": {...}},            // Elasticsearch (point in time + search_after)
 *  "destination": "s3://bulk-bucket/exports/items/",
 *  "format": "csv" | "ndjson", "compression": "gzip" | "none", "compressionLevel": 6, "partSizeMb": 64,
 *  "batchSize": 1000, "maxRowsPerSecond": 0, "maxSecondsPerCall": null, "continuation": null}
 * }</pre>
 * The output of an invocation is this event with {@code continuation}, {@code done} and {@code result} set, so it can be
 * sent back as it is; those two extra fields are accepted and ignored.
 *
 * @param target the configured source target
 * @param source what to export
 * @param destination the export folder
 * @param format data format (default csv for PostgreSQL, ndjson otherwise; csv is PostgreSQL only)
 * @param compression compression (default gzip)
 * @param compressionLevel the gzip level, 1 (fastest) to 9 (smallest), default 6 as gzip(1)'s; 1 costs about half the CPU
 *                         of 6 for output about a fifth larger
 * @param partSizeBytes size after which a part is closed, in stored bytes (event: {@code partSizeMb}, default 64, 1 to 4096)
 * @param throughput pacing options
 * @param continuation where to resume, or {@code null} to start
 */
public record ExportRequest(TargetConfig target, Source source, S3Uri destination, BulkFormat format, Compression compression,
                            int compressionLevel, long partSizeBytes, Throughput throughput, Continuation continuation) {

    private static final Set<String> FIELDS = Set.of("execution", "target", "source", "destination", "format", "compression", "compressionLevel",
        "partSizeMb", "batchSize", "maxRowsPerSecond", "maxSecondsPerCall", "continuation", "done", "result");

    /**
     * What to export.
     *
     * @param name the table ({@code schema.table} or {@code table}), collection or index; {@code null} for a SQL query
     * @param query the SQL SELECT, the MongoDB filter or the Elasticsearch query as JSON text, or {@code null}
     * @param projection the MongoDB projection as JSON text, or {@code null}
     * @param key PostgreSQL columns to order and resume by (default: the table's primary key), empty when none
     */
    public record Source(String name, String query, String projection, List<String> key) {
        /** Canonical constructor: copies the key. */
        public Source {
            key = List.copyOf(key);
        }
    }

    /**
     * @param event the event
     * @param config the function configuration (targets)
     * @param bucket the configured bulk bucket
     * @param tokens opens the {@code continuation} token, which must be bound to this request
     * @return the request
     * @throws ValidationException naming the first field that is missing, unknown or malformed
     */
    public static ExportRequest parse(JsonNode event, TidemarkConfig config, String bucket, ContinuationCodec tokens) {
        if (event == null || !event.isObject()) {
            throw new ValidationException("event: expected a JSON object with target, source and destination");
        }
        EventFields.unknown(event, FIELDS, "");
        TargetConfig target = target(event, config);
        Source source = source(event.path("source"), target.store());
        if (target.store() != Store.POSTGRES) { // PostgreSQL names are checked once the catalog has resolved them
            target.requireBulkAllowed(target.store() == Store.MONGODB ? "source.collection" : "source.index", source.name());
        }
        S3Uri destination = S3Uri.parse("destination", EventFields.text(event, "destination"), bucket);
        String f = EventFields.text(event, "format");
        BulkFormat format = f == null ? (target.store() == Store.POSTGRES ? BulkFormat.CSV : BulkFormat.NDJSON) : BulkFormat.of("format", f);
        if (format == BulkFormat.CSV && target.store() != Store.POSTGRES) {
            throw new ValidationException("format: csv is for PostgreSQL sources; " + target.store().id() + " exports ndjson");
        }
        String c = EventFields.text(event, "compression");
        Compression compression = c == null ? Compression.GZIP : Compression.of("compression", c);
        int level = (int) Throughput.number(event, "compressionLevel", Compression.DEFAULT_LEVEL, 1, 9);
        if (event.has("compressionLevel") && compression != Compression.GZIP) {
            throw new ValidationException("compressionLevel: applies to gzip only; compression is " + compression.name().toLowerCase());
        }
        long partMb = Throughput.number(event, "partSizeMb", 64, 1, 4096);
        ExportRequest r = new ExportRequest(target, source, destination, format, compression, level, partMb * 1024 * 1024,
            Throughput.parse(event), null);
        return r.with(tokens.open(event.get("continuation"), r.binding(), Continuation.EXPORT));
    }

    private ExportRequest with(Continuation c) {
        return new ExportRequest(target, source, destination, format, compression, compressionLevel, partSizeBytes, throughput, c);
    }

    /**
     * @return what a continuation token is bound to: the SHA-256 of the target, source (name, query, projection, key),
     *         destination, format, compression, level and part size
     */
    public String binding() {
        return ContinuationCodec.binding("export", target.name(), target.store().id(), source.name(), source.query(), source.projection(),
            source.key(), destination.toString(), format.name(), compression.name(), compressionLevel, partSizeBytes);
    }

    static TargetConfig target(JsonNode event, TidemarkConfig config) {
        String name = EventFields.text(event, "target");
        if (name == null) {
            throw new ValidationException("target: missing; expected one of " + config.targetNames());
        }
        return config.target(name).orElseThrow(() -> new ValidationException("target: '" + name + "' is not configured; expected one of "
            + config.targetNames()));
    }

    private static Source source(JsonNode s, Store store) {
        if (!s.isObject()) {
            throw new ValidationException("source: missing; expected an object naming the " + switch (store) {
                case POSTGRES -> "table or query";
                case MONGODB -> "collection";
                case ELASTICSEARCH -> "index";
            });
        }
        return switch (store) {
            case POSTGRES -> {
                EventFields.unknown(s, Set.of("table", "query", "key"), "source.");
                String table = EventFields.text(s, "table", "source.", 256);
                String query = s.has("query") && s.get("query").isTextual()
                    ? EventFields.checked(s.get("query").asText(), "source.query", dev.tidemark.json.Json.MAX_EVENT_STRING, true)
                    : EventFields.text(s, "query", "source.", 0);
                if ((table == null) == (query == null)) {
                    throw new ValidationException("source: give either table or query");
                }
                if (table != null && !table.matches("[A-Za-z_][A-Za-z0-9_$]*(\\.[A-Za-z_][A-Za-z0-9_$]*)?")) {
                    throw new ValidationException("source.table: '" + table + "' is not a table name (table or schema.table)");
                }
                yield new Source(table, query, null, names(s.get("key"), "source.key"));
            }
            case MONGODB -> {
                EventFields.unknown(s, Set.of("collection", "filter", "projection"), "source.");
                String collection = Internals.mongoCollection("source.collection", EventFields.text(s, "collection", "source.", 256));
                yield new Source(collection, json(s, "filter"), json(s, "projection"), List.of("_id"));
            }
            case ELASTICSEARCH -> {
                EventFields.unknown(s, Set.of("index", "query"), "source.");
                String index = Internals.elasticIndex("source.index", EventFields.text(s, "index", "source.", 256));
                yield new Source(index, json(s, "query"), null, List.of("_shard_doc"));
            }
        };
    }

    static String json(JsonNode s, String field) {
        JsonNode v = s.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isObject()) {
            throw new ValidationException("source." + field + ": expected a JSON object");
        }
        return v.toString();
    }

    static List<String> names(JsonNode v, String field) {
        if (v == null || v.isNull()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        if (!v.isArray() || v.isEmpty()) {
            throw new ValidationException(field + ": expected a non-empty array of column names");
        }
        for (JsonNode n : v) {
            if (!n.isTextual() || !n.asText().matches("[A-Za-z_][A-Za-z0-9_$]*")) {
                throw new ValidationException(field + ": '" + n.asText() + "' is not a column name");
            }
            out.add(n.asText());
        }
        return out;
    }
}
