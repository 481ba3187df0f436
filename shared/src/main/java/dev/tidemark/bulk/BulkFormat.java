package dev.tidemark.bulk;

import dev.tidemark.error.ValidationException;

import java.util.Locale;

/**
 * The data formats of bulk parts.
 * <ul>
 *   <li>{@link #CSV}: PostgreSQL's COPY CSV (RFC 4180 quoting, a header line in every part, NULL as an unquoted empty
 *       field and the empty string as {@code ""}); PostgreSQL only.</li>
 *   <li>{@link #NDJSON}: one JSON object per line (ndjson.org). PostgreSQL rows as {@code row_to_json}; MongoDB
 *       documents as canonical Extended JSON v2 (lossless: Decimal128, int64, dates, binary keep their types); Elasticsearch
 *       hits as {@code {"_id": ..., "_source": {...}}}.</li>
 * </ul>
 */
public enum BulkFormat {
    /** COPY CSV with a header line. */
    CSV("csv"),
    /** Newline-delimited JSON. */
    NDJSON("ndjson");

    private final String extension;

    BulkFormat(String extension) {
        this.extension = extension;
    }

    /** @return the file extension without the dot, e.g. {@code ndjson} */
    public String extension() {
        return extension;
    }

    /**
     * @param field the field name, for messages
     * @param value {@code csv} or {@code ndjson}, any case
     * @return the format
     * @throws ValidationException naming the field when the value is neither
     */
    public static BulkFormat of(String field, String value) {
        try {
            return valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new ValidationException(field + ": '" + value + "' is not a format; expected csv or ndjson");
        }
    }
}
