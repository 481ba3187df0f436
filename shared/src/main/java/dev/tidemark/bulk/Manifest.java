package dev.tidemark.bulk;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.tidemark.migration.Store;

import java.time.Instant;
import java.util.List;

/**
 * {@code manifest.json}, written beside the parts when an export completes (and, while it runs, as
 * {@code manifest.partial.json} holding the parts finished so far). Import reads it first and checks every part against
 * it before writing anything.
 * <pre>{@code
 * {"formatVersion": 1, "format": "csv", "compression": "gzip",
 *  "source": {"store": "postgres", "target": "app-db", "name": "public.items", "query": null, "key": ["id"]},
 *  "sourceSchemaVersion": "7",
 *  "parts": [{"file": "part-00001.csv.gz", "rows": 250000, "bytes": 6815744, "sha256": "9f86d0..."}],
 *  "totalRows": 250000, "totalBytes": 6815744,
 *  "startedAt": "2026-11-23T10:00:00Z", "finishedAt": "2026-11-23T10:00:04Z", "tidemarkVersion": "0.1.0"}
 * }</pre>
 *
 * @param formatVersion version of this file's layout (1)
 * @param format data format of every part
 * @param compression compression of every part
 * @param source what was exported
 * @param sourceSchemaVersion the source target's current migration version at the start, or {@code null} when it has
 *                            no schema history
 * @param parts the parts in order
 * @param totalRows sum of the parts' rows
 * @param totalBytes sum of the parts' bytes (as stored, after compression)
 * @param startedAt when the export started
 * @param finishedAt when it finished; {@code null} in the partial manifest
 * @param tidemarkVersion the Tidemark version that wrote it
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record Manifest(int formatVersion, BulkFormat format, Compression compression, Source source, String sourceSchemaVersion,
                       List<Part> parts, long totalRows, long totalBytes, Instant startedAt, Instant finishedAt, String tidemarkVersion) {

    /** File name of the manifest of a completed export. */
    public static final String FILE = "manifest.json";
    /** File name of the manifest of an export in progress. */
    public static final String PARTIAL_FILE = "manifest.partial.json";
    /** The layout version this code writes and reads. */
    public static final int FORMAT_VERSION = 1;

    /** Canonical constructor: copies the parts. */
    public Manifest {
        parts = List.copyOf(parts);
    }

    /**
     * What was exported.
     *
     * @param store the source store
     * @param target the configured target name
     * @param name table ({@code schema.table}), collection or index; {@code null} for a PostgreSQL query
     * @param query the SELECT, the MongoDB filter or the Elasticsearch query (JSON), or {@code null}
     * @param projection the MongoDB projection (JSON), or {@code null}
     * @param key the columns or fields records are ordered and resumed by
     */
    public record Source(Store store, String target, String name, String query, String projection, List<String> key) {
    }

    /**
     * One data file.
     *
     * @param file file name under the export's prefix, e.g. {@code part-00001.ndjson.gz}
     * @param rows records in it
     * @param bytes its size in bytes, as stored
     * @param sha256 lowercase hex SHA-256 of its stored bytes
     */
    public record Part(String file, long rows, long bytes, String sha256) {
    }

    /**
     * @param part a finished part
     * @return this manifest with the part appended and the totals updated
     */
    public Manifest with(Part part) {
        List<Part> more = new java.util.ArrayList<>(parts);
        more.add(part);
        return new Manifest(formatVersion, format, compression, source, sourceSchemaVersion, more, totalRows + part.rows(),
            totalBytes + part.bytes(), startedAt, finishedAt, tidemarkVersion);
    }

    /**
     * @param count how many parts to keep
     * @return this manifest with its first {@code count} parts and the totals of those
     */
    public Manifest upTo(int count) {
        List<Part> kept = parts.subList(0, count);
        return new Manifest(formatVersion, format, compression, source, sourceSchemaVersion, kept, kept.stream().mapToLong(Part::rows).sum(),
            kept.stream().mapToLong(Part::bytes).sum(), startedAt, finishedAt, tidemarkVersion);
    }

    /**
     * @param version the source's schema version
     * @return this manifest with {@code sourceSchemaVersion} set
     */
    Manifest withSchemaVersion(String version) {
        return new Manifest(formatVersion, format, compression, source, version, parts, totalRows, totalBytes, startedAt, finishedAt,
            tidemarkVersion);
    }

    /** @param at the finish time @return this manifest marked finished */
    public Manifest finished(Instant at) {
        return new Manifest(formatVersion, format, compression, source, sourceSchemaVersion, parts, totalRows, totalBytes, startedAt, at,
            tidemarkVersion);
    }

    /**
     * @param number 1-based part number
     * @param format the data format
     * @param compression the compression
     * @return the part's file name, e.g. {@code part-00001.csv.gz}
     */
    public static String partFile(int number, BulkFormat format, Compression compression) {
        return String.format("part-%05d.%s%s", number, format.extension(), compression.suffix());
    }
}
